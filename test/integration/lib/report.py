"""Reading `kvip simulate --json` reports in the integration tests.

Each check collects failures with bad() and prints them indented; trial()
finds one trial or records it as missing; common() applies what every trial
must show (no note, probes sent, never answered by two MACs); finish() exits
0 or 1.
"""
import json
import sys


class Checks:
    def __init__(self):
        self.ok = True

    def bad(self, msg):
        self.ok = False
        print("  " + msg)

    def load(self, path):
        """The report at `path`, its error (if any) recorded as a failure."""
        r = json.load(open(path))
        if r["error"]:
            self.bad(f"{path}: error: {r['error']}")
        return r

    @staticmethod
    def by_trial(r, system="gossip"):
        """Trials of `system` by (fault, trial number)."""
        return {(t["fault"], t["trial"]): t for t in r["trials"] if t["system"] == system}

    def trial(self, trials, key, label):
        t = trials.get(key)
        if t is None:
            self.bad(f"missing trial {label}")
        return t

    def common(self, label, t):
        if t["note"]:
            self.bad(f"{label}: {t['note']}")
        if t["probes"] <= 0:
            self.bad(f"{label}: no probes")
        if t["dual_mac_probes"] != 0:
            self.bad(f"{label}: {t['dual_mac_probes']} probes answered by two MACs")

    @staticmethod
    def moved_within(t, bound_ms):
        return 0 <= t["switch_ms"] <= bound_ms and t["to"] and t["to"] != t["from"]

    def finish(self):
        sys.exit(0 if self.ok else 1)
