/* ownership.pml: membership + ownership + fencing of ONE VIP, checked by spin.
 *
 * What the model is (and how it maps to net/gossip/):
 *  - N nodes (2 or 3, -DN=2). Each runs proctype node(i): once per time tick it
 *    makes one fence step (fence.hpp: tick / majority_ack / node_lease_renewed /
 *    lease_holder_observed / successor_answering, in that order). The clock
 *    ticks only when every live, unfrozen node has made its step, so
 *    check_interval is one tick (CHECK below).
 *  - Times are counters: dl[i] = ticks left before the owner's deadline
 *    (fence::deadline_), sil[k] = ticks since the send time of the latest
 *    owner message k received (takeover_allowed's last_heard). An extension
 *    counts from the send: a majority ack that arrives d in {0,1} ticks after
 *    the send sets dl = FENCE - d.
 *  - answering(i) = process up, not frozen, fence state owning or releasing,
 *    and deadline not passed: fence::may_answer(now), which the userspace
 *    responder asks per request (a frozen or dead process answers nothing).
 *  - Membership is abstracted to what ownership needs: view[k] is whom k
 *    believes owns the VIP; k acknowledges a claim or a heartbeat from i only
 *    when it agrees (view[k] == i, or takeover_allowed: sil[k] >= TAKEOVER, or
 *    gone[k]: the owner's process closed its connections / released the VIP).
 *    A claim (ownership_decided(self) + write_lease_claim + majority_ack) is
 *    one atomic step that needs a majority of agreeing, reachable members;
 *    the rendezvous ranking is over-approximated: any agreeing node may claim.
 *    A restarted node remembers nothing and starts with sil = 0, so it agrees
 *    to a claim only after TAKEOVER ticks (a node that forgot the owner must
 *    not be the swing vote while the owner's deadline runs); it does take the
 *    heartbeat of a confirmed owner at once (hb_agree). A member that resumes
 *    after a freeze resets its silence counters the same way (resume_sil:
 *    they ran while it was frozen and say nothing about the owner).
 *  - Kubernetes: `lease` is the VIP's Lease holder, written at a claim and
 *    reconciled by the owner when the API is up; an owner that sees another
 *    holder stops at once (lease_holder_observed). kvip does not let node-Lease
 *    renewals hold a VIP (only gossip majorities do); -DNODE_LEASE_HOLD checks
 *    the variant where a renewal (API up) extends the hold and counts as
 *    hearing the owner for every peer that believes it owns or knows no owner:
 *    it is safe too, and breaks (-DLAGGY_WATCH -DNO_RESUME_RESET) when a
 *    frozen peer misses the renewals and keeps its stale silence counters.
 *    Watch lag of a running peer is not modelled.
 *  - Graceful stop: the owner goes `releasing` and tells its reachable peers
 *    (view := none, gone); a successor claims and answers (make), then the old
 *    owner sees it and exits (break), or its deadline ends the window.
 *  - Faults, chosen nondeterministically by proctype faults(), at most FAULTS
 *    of them (plus one graceful stop): crash (connections closed: reachable
 *    peers see it at once) and restart, freeze and resume (the clock runs on),
 *    gossip partition of one node and heal, API outage and return.
 *  Simplified away: real time and message delays beyond one tick, more than
 *  one VIP, membership probing (suspicion, incarnations, indirect probes),
 *  eligibility changes, message loss other than by partition, per-node API
 *  partitions, asymmetric partitions (a cut isolates one node from all
 *  others; in kvip the claimant's own vote obeys the same silence rule as
 *  every other vote, agree(i, i) here, and the resume reset covers a member
 *  whose counters went stale), several VIPs sharing one hold (kvip extends
 *  every held VIP with one echo whose digest covers all of them),
 *  unbounded faults. Claims are atomic here, so two claims whose frames
 *  cross (each claimer adopting the other) cannot happen: the lab found that
 *  liveness gap under packet loss, and kvip closes it with the owner query
 *  (ownership_claims.cpp: an answer from the view's owner naming another
 *  owner releases the view, as that owner's release notice would; the
 *  model's release, view := none, covers it).
 *
 * Properties:
 *  - safety (monitor's assert): never two nodes answering, unless one of them
 *    is `releasing` (the make-before-break window).
 *  - liveness (ltl live): if from some point on a node stays up, unfrozen and
 *    connected to a majority, then from some point on someone answers for
 *    good. Checked as LTL (acceptance cycles, pan -a) WITHOUT weak fairness,
 *    on purpose: the clock ticks only after every live node has made its
 *    step, and every step of the faults process is atomic, changes something
 *    and is bounded (FAULTS faults, one repair each, one graceful stop), so
 *    every infinite run ticks for ever and every live node acts every tick;
 *    fairness would add nothing but states.
 *
 * By hand (test/model/check.sh does all of it: ctest -R model_ownership):
 *   spin -a ownership.pml && cc -O2 -DSAFETY -DNOCLAIM -o pan pan.c && ./pan -m200000
 *   spin -a ownership.pml && cc -O2 -o pan pan.c && ./pan -a -m200000 -N live
 *   -DN=2 for two nodes, -DFAULTS=3 for more faults (~40 s for safety).
 *   Mutants that must fail: spin -a -DFENCE=6 (fence_timeout > takeover_wait),
 *   -DNODE_LEASE_HOLD -DLAGGY_WATCH -DNO_RESUME_RESET (a frozen peer misses
 *   the node-Lease renewals and trusts its stale silence, see watching() and
 *   resume_sil()), -DFORGETFUL_RESTART (a restarted member acks a claim at
 *   once and becomes the swing vote), and for liveness -DFENCE=1. A counter-example: spin -t -p -g
 *   ownership.pml (with the same -D flags).
 *   With exact may_answer() the model holds even at FENCE == TAKEOVER (try
 *   -DFENCE=5): the CHECK margin that validate() demands is for gratuitous
 *   announcements, which the model does not contain.
 */

#ifndef N
#define N 3
#endif
#define MAJ (N / 2 + 1)
#ifndef FENCE
#define FENCE 3    /* fence_timeout, ticks */
#endif
#define CHECK 1    /* check_interval: one step per tick */
#ifndef TAKEOVER
#define TAKEOVER 5 /* takeover_wait; the real code asserts FENCE + CHECK < TAKEOVER */
#endif
#ifndef FAULTS
#define FAULTS 2
#endif
#define NONE 255

/* fence states */
#define IDLE 0
#define OWNING 1
#define RELEASING 2
#define FENCED 3
#define STOPPED 4

byte st[N];
bool up[N];
bool frz[N];
byte dl[N];
byte view[N];
byte sil[N];
bool gone[N];
bool done[N];
byte cut = NONE; /* node cut off from gossip with everyone */
bool api = 1;
byte lease = NONE;

#define holding(i) (st[i] == OWNING || st[i] == RELEASING)
#define linked(a, b) (cut != a && cut != b)
#define live(k) (up[k] && !frz[k])
#define agree(k, i) (view[k] == i || (!(k != i && holding(k)) && (gone[k] || sil[k] >= TAKEOVER)))
/* a heartbeat of a confirmed owner is also taken by a member that knows no
 * owner (it restarted); a claim is not */
#define hb_agree(k, i) (agree(k, i) || (st[i] == OWNING && view[k] == NONE && !holding(k)))
/* a frozen member sees the node-Lease renewals on resume, before it acts */
#ifdef LAGGY_WATCH
#define watching(k) (!frz[k])
#else
#define watching(k) 1
#endif
#define answering(i) (live(i) && holding(i) && dl[i] > 0)

/* at most one answering, except during a release */
#define pair_ok(a, b) (!(answering(a) && answering(b)) || st[a] == RELEASING || st[b] == RELEASING)
#if N == 3
#define safe (pair_ok(0, 1) && pair_ok(0, 2) && pair_ok(1, 2))
#define someone (answering(0) || answering(1) || answering(2))
#define peer(i, k) (i != k && linked(i, k) && live(k))
#define reach(i) (live(i) && peer(i, 0) + peer(i, 1) + peer(i, 2) + 1 >= MAJ)
#define ok (reach(0) || reach(1) || reach(2))
#else
#define safe (pair_ok(0, 1))
#define someone (answering(0) || answering(1))
#define ok (live(0) && live(1) && linked(0, 1))
#endif
#if N == 3
#define alldone ((!up[0] || frz[0] || done[0]) && (!up[1] || frz[1] || done[1]) && (!up[2] || frz[2] || done[2]))
#else
#define alldone ((!up[0] || frz[0] || done[0]) && (!up[1] || frz[1] || done[1]))
#endif

ltl live { (<>[] ok) -> (<>[] someone) }

active proctype monitor() {
  atomic { !safe -> assert(false) }
}

active proctype clock() {
  byte k;
  do
  :: d_step {
       alldone ->
       k = 0;
       do
       :: k < N ->
          if :: dl[k] > 0 -> dl[k]-- :: else -> skip fi;
          if :: sil[k] < TAKEOVER -> sil[k]++ :: else -> skip fi;
          done[k] = 0;
          k++
       :: else -> break
       od
     }
  od
}

proctype node(byte i) {
  byte k, count;
  do
  :: atomic {
       live(i) && !done[i] ->
       done[i] = 1;
       /* 1. the deadline first (tick) */
       if
       :: st[i] == OWNING && dl[i] == 0 -> st[i] = FENCED
       :: st[i] == RELEASING && dl[i] == 0 -> st[i] = STOPPED; up[i] = 0
       :: else -> skip
       fi;
       /* 2. another holder on the Lease: stop at once */
       if
       :: api && lease != NONE && lease != i && st[i] == OWNING -> st[i] = IDLE
       :: api && lease != NONE && lease != i && st[i] == RELEASING -> st[i] = STOPPED; up[i] = 0
       :: else -> skip
       fi;
       /* 3. releasing: break once the successor answers */
       if
       :: st[i] == RELEASING ->
          k = 0;
          do
          :: k < N && k != i && st[k] == OWNING && answering(k) -> st[i] = STOPPED; up[i] = 0; break
          :: k < N && !(k != i && st[k] == OWNING && answering(k)) -> k++
          :: k >= N -> break
          od
       :: else -> skip
       fi;
       /* 4. owner: heartbeat to the peers, majority ack, node Lease renewal;
        *    idle or fenced: claim when a majority agrees */
       if
       :: st[i] == OWNING || st[i] == IDLE || st[i] == FENCED ->
          count = 0;
          k = 0;
          do
          :: k < N ->
             if
             :: k == i && (st[i] == OWNING || agree(i, i)) -> count++
             :: k != i && linked(i, k) && live(k) && hb_agree(k, i) -> count++
             :: else -> skip
             fi;
             k++
          :: else -> break
          od;
          if
          :: count >= MAJ ->
             k = 0;
             do
             :: k < N ->
                if
                :: (k == i || (linked(i, k) && live(k))) && hb_agree(k, i) ->
                   view[k] = i; sil[k] = 0; gone[k] = 0
                :: else -> skip
                fi;
                k++
             :: else -> break
             od;
             if
             :: st[i] != OWNING -> st[i] = OWNING; dl[i] = 0;
                if :: api -> lease = i :: else -> skip fi
             :: else -> skip
             fi;
             /* the ack arrives 0 or 1 tick after the send */
             if
             :: dl[i] < FENCE -> dl[i] = FENCE
             :: dl[i] < FENCE - 1 -> dl[i] = FENCE - 1
             :: dl[i] >= FENCE - 1 -> skip
             fi
          :: else -> skip
          fi;
          if
          :: st[i] == OWNING && api ->
             if :: lease == NONE -> lease = i :: else -> skip fi;
#ifdef NODE_LEASE_HOLD
             dl[i] = FENCE; /* node Lease renewed, sent now */
             k = 0;
             do
             :: k < N ->
                if
                :: k != i && up[k] && watching(k) && (view[k] == i || (view[k] == NONE && !holding(k))) ->
                   view[k] = i; sil[k] = 0
                :: else -> skip
                fi;
                k++
             :: else -> break
             od
#else
             skip
#endif
          :: else -> skip
          fi
       :: else -> skip
       fi
     }
  od
}

/* a restarted member waits takeover_wait before it acks a claim;
 * -DFORGETFUL_RESTART lets it ack at once (a mutant that breaks safety) */
#ifdef FORGETFUL_RESTART
#define RESTART_SIL TAKEOVER
#else
#define RESTART_SIL 0
#endif

/* a resumed member treats itself as restarted: its silence counters ran
 * while it was frozen and say nothing about the owner (kvip: ownership's
 * resumed(), called when the gossip actor's timer fires far too late);
 * -DNO_RESUME_RESET keeps the stale counters (with -DNODE_LEASE_HOLD off the
 * symmetric cut of this model cannot exploit them: see the header) */
#ifdef NO_RESUME_RESET
#define resume_sil(i) skip
#else
#define resume_sil(i) sil[i] = 0
#endif

/* every step is atomic and changes something, so the faults process can
 * neither stop half-way through a fault nor loop without the clock */
#define crash(i) \
  up[i] = 0; \
  k = 0; \
  do \
  :: k < N -> \
     if :: k != i && up[k] && linked(i, k) && view[k] == i -> gone[k] = 1 :: else -> skip fi; \
     k++ \
  :: else -> break \
  od
#define restart(i) \
  up[i] = 1; frz[i] = 0; st[i] = IDLE; dl[i] = 0; view[i] = NONE; sil[i] = RESTART_SIL; gone[i] = 0; done[i] = 1
#define release(i) \
  stop_left = 0; \
  st[i] = RELEASING; \
  view[i] = NONE; \
  k = 0; \
  do \
  :: k < N -> \
     if :: k != i && live(k) && linked(i, k) && view[k] == i -> view[k] = NONE; gone[k] = 1 :: else -> skip fi; \
     k++ \
  :: else -> break \
  od
#define fault_on(i) \
  :: atomic { f > 0 && up[i] -> f--; crash(i) } \
  :: atomic { f > 0 && live(i) -> f--; frz[i] = 1 } \
  :: atomic { f > 0 && cut == NONE -> f--; cut = i } \
  :: atomic { !up[i] && st[i] != STOPPED -> restart(i) } \
  :: atomic { up[i] && frz[i] -> frz[i] = 0; resume_sil(i) } \
  :: atomic { stop_left && live(i) && st[i] == OWNING -> release(i) }

active proctype faults() {
  byte f = FAULTS;
  bool stop_left = 1;
  byte k;
  do
  fault_on(0)
  fault_on(1)
#if N == 3
  fault_on(2)
#endif
  :: atomic { f > 0 && api -> f--; api = 0 }
  :: atomic { cut != NONE -> cut = NONE }
  :: atomic { !api -> api = 1 }
  od
}

init {
  byte k;
  atomic {
    k = 0;
    do
    :: k < N -> up[k] = 1; view[k] = NONE; sil[k] = TAKEOVER; run node(k); k++
    :: else -> break
    od
  }
}
