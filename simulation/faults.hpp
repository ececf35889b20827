// Run-time fault injection for the embedded API server, switched through a
// separate plain-HTTP admin listener (--admin-listen). Admin API (every answer
// is the JSON fault state, or {"error": "..."} with 400):
//
//   GET  /healthz                      "ok"
//   GET  /faults                       {"latencyMs":0,"outage":"none","failWrites":{...},...}
//   GET  /stats                        {"resourceVersion":"N","oldestResourceVersion":"M",
//                                       "objects":K,"watches":W,"streams":S,
//                                       "writes":{"total":N,"byResource":{"leases":N},
//                                                 "byClient":{"10.99.0.1":N}}}
//                                      (writes: POST/PUT/PATCH/DELETE handled since start)
//   POST /faults/latency?ms=N          add N ms before every API request is handled (0 = off)
//   POST /faults/outage?mode=M         M = none | 503 (every API request answers 503 and all
//                                      watches end) | refuse (the API port is closed:
//                                      connections are refused; watches end) ; none restores
//   POST /faults/drop-watches          end every open watch stream now (clients re-watch)
//   POST /faults/compact               forget the event history: resuming a watch from any
//                                      earlier resourceVersion gets 410 Expired
//   POST /faults/fail-writes?resource=leases&code=409[&count=N]
//                                      writes (POST/PUT/PATCH/DELETE) to that plural answer
//                                      `code` (409 Conflict, 500 InternalError, 429 with
//                                      Retry-After, ...), N times or until cleared
//                                      (code=0 clears that resource)
//   POST /faults/reset                 clear every fault
//   POST /snapshot                     write the snapshot file now (if configured)
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "net/http/server.hpp"

namespace kvip::sim {

enum class outage_mode { none, unavailable, refuse };

/// The switchable faults, read by the request path (lock-free except write faults).
class fault_state {
public:
  /// Added latency per API request, in milliseconds.
  std::atomic<int> latency_ms{0};
  /// Current outage mode.
  std::atomic<outage_mode> outage{outage_mode::none};

  /// Makes writes to `plural` fail with `code`, `count` times (negative = until cleared);
  /// code 0 clears.
  void set_write_fault(const std::string& plural, int code, int count);
  /// The code a write to `plural` must fail with now (consumes one), or nullopt.
  std::optional<int> take_write_fault(const std::string& plural);
  /// Clears every fault.
  void reset();
  /// The state as JSON.
  boost::json::object to_json() const;

private:
  struct write_fault {
    int code = 0;
    int remaining = -1;
  };
  mutable std::mutex m_;
  std::map<std::string, write_fault> writes_;
};

/// What the admin endpoints act on (provided by the API server).
struct admin_hooks {
  std::function<void()> drop_watches;
  std::function<void()> compact;
  std::function<net::result<void>(outage_mode)> set_outage;
  std::function<boost::json::object()> stats;
  std::function<net::result<void>()> save_snapshot;
};

/// Registers the admin API on `srv`. `faults` and the hooks must outlive the server.
void install_admin_routes(net::http::server& srv, fault_state& faults, admin_hooks hooks);

/// "none", "503" or "refuse".
std::string to_string(outage_mode m);

} // namespace kvip::sim
