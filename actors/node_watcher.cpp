#include "actors/node_watcher.hpp"

#include <map>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/tracing.hpp"
#include "caf/all.hpp"
#include "k8s/client.hpp"
#include "k8s/gossip_key.hpp"
#include "k8s/node_peers.hpp"
#include "k8s/resource.hpp"
#include "messages/gossip_peers.hpp"
#include "messages/supervision.hpp"

namespace kvip {

namespace {

/// What the watch thread reports for the dump (guarded by `m`).
struct watch_status {
  std::mutex m;
  std::map<std::string, std::string> skipped; ///< Node -> why it is no peer
  std::string last_error;
  int errors = 0;
  k8s::watch_stats stats;
};

struct node_watcher_state {
  node_watcher_options opts;
  std::shared_ptr<watch_status> status;
  std::vector<msg::gossip_peer_info> peers; ///< as last forwarded
  bool synced = false;                      ///< a list arrived since start
  std::uint64_t updates = 0;
  std::uint64_t key_requests = 0;
  std::jthread thread; ///< last: stopped and joined first when the state goes
  static inline const char* name = "node_watcher";
};

/// The subscriber, seen as what it must accept (typed actors only send to typed handles).
using peers_subscriber = caf::typed_actor<caf::reacts_to<msg::gossip_peers>>;
peers_subscriber peers_sink(const caf::actor& a) {
  return caf::actor_cast<peers_subscriber>(a);
}

using watcher_pointer = msg::node_watcher_actor::stateful_pointer<node_watcher_state>;

msg::gossip_peers to_message(const std::vector<k8s::node_peer>& peers) {
  msg::gossip_peers m;
  for (auto& p : peers)
    m.peers.push_back({p.name, p.address});
  return m;
}

void log_change(const k8s::peer_change& ch) {
  using kind = k8s::peer_change::kind;
  if (ch.what == kind::added)
    spdlog::info("node_watcher: gossip peer {} at {}", ch.name, ch.address);
  if (ch.what == kind::changed)
    spdlog::info("node_watcher: gossip peer {} moved {} -> {}", ch.name, ch.previous, ch.address);
  if (ch.what == kind::removed)
    spdlog::info("node_watcher: gossip peer {} ({}) gone: {}", ch.name, ch.previous, ch.reason);
}

/// The watch thread: list + watch Nodes until `stop`, reporting the peer list to
/// the actor at `me` (a weak address: the thread never keeps the actor alive).
void watch_nodes(std::stop_token stop, node_watcher_options opts, caf::actor_addr me,
                 std::shared_ptr<watch_status> status) {
  opts.watch.namespace_name.clear();
  k8s::watcher w{*opts.client, k8s::resources::nodes, opts.watch};
  k8s::node_peer_table table{opts.node_name, opts.family};
  bool synced = false, dirty = true;
  auto report = [&] {
    {
      std::lock_guard g{status->m};
      status->skipped = table.skipped();
      status->stats = w.stats();
    }
    dirty = false;
    if (auto self = caf::actor_cast<caf::actor>(me)) tell_anon(self, to_message(table.peers()));
  };
  k8s::watch_handlers h;
  h.on_event = [&](const k8s::watch_event& e) {
    auto ch = table.apply(e);
    if (!ch.reason.empty()) {
      std::lock_guard g{status->m};
      status->skipped = table.skipped();
    }
    if (ch.what == k8s::peer_change::kind::none) return;
    log_change(ch);
    dirty = true;
    if (synced) report();
  };
  h.on_error = [&](const k8s::error& e) {
    spdlog::warn("node_watcher: watching Nodes: {}", e.describe());
    std::lock_guard g{status->m};
    status->last_error = e.describe();
    ++status->errors;
  };
  h.on_synced = [&] {
    if (!synced || dirty) report();
    synced = true;
  };
  w.run(stop, h);
}

msg::gossip_key_reply load_key(node_watcher_state& st, const msg::gossip_key_request& r) {
  ++st.key_requests;
  msg::gossip_key_reply rep;
  auto& ns = st.opts.key_namespace;
  bool from_file = !r.key_file.empty();
  rep.source = from_file ? "file " + r.key_file : "Secret " + ns + "/" + k8s::gossip_key_secret;
  auto key = from_file ? k8s::load_key_file(r.key_file)
                       : k8s::load_or_create_key_secret(*st.opts.client, ns);
  if (!key) {
    rep.error_text = key.err().describe();
    spdlog::error("node_watcher: no gossip key: {}", rep.error_text);
    return rep;
  }
  rep.ok = true;
  rep.key = std::move(*key);
  spdlog::info("node_watcher: gossip key from {}", rep.source);
  return rep;
}

/// The current peer list to the gossip actor (the directory's elector role)
/// or the subscriber given at spawn.
void forward_peers(watcher_pointer self) {
  auto& st = self->state;
  st.synced = true;
  msg::gossip_peers m;
  m.peers = st.peers;
  caf::actor dest = st.opts.subscriber;
  if (st.opts.siblings) dest = caf::actor_cast<caf::actor>(st.opts.siblings->elector());
  if (dest) tell(self, peers_sink(dest), m);
}

std::string describe(const node_watcher_state& st) {
  std::lock_guard g{st.status->m};
  auto text = fmt::format("{} peers, {} Nodes skipped, {} lists ({} after 410), {} watch errors, "
                          "{} peer updates, {} key requests",
                          st.peers.size(), st.status->skipped.size(), st.status->stats.lists,
                          st.status->stats.relists, st.status->errors, st.updates, st.key_requests);
  for (auto& p : st.peers)
    text += fmt::format("\n  peer {} {}", p.name, p.address);
  for (auto& [node, why] : st.status->skipped)
    text += fmt::format("\n  skipped {}: {}", node, why);
  if (!st.status->last_error.empty()) text += "\n  last error: " + st.status->last_error;
  return text;
}

msg::node_watcher_actor::behavior_type node_watcher_fn(watcher_pointer self,
                                                       node_watcher_options opts) {
  log_crashes(self, "node_watcher");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.status = std::make_shared<watch_status>();
  if (st.opts.watch_nodes)
    st.thread = std::jthread{watch_nodes, st.opts, self->address(), st.status};
  return {
      on(self,
         [self](const msg::gossip_peers& m) {
           auto& st = self->state;
           st.peers = m.peers;
           ++st.updates;
           forward_peers(self);
         }),
      on(self,
         [self](const msg::gossip_key_request& r) {
           auto rep = load_key(self->state, r);
           if (self->state.synced) forward_peers(self);
           return rep;
         }),
      on(self,
         [self](const msg::dump_request&) {
           msg::dump_reply r;
           r.actor = "node_watcher";
           r.text = describe(self->state);
           return r;
         }),
      on(self,
         [](const msg::shutdown_request&) {
           msg::shutdown_done d;
           d.actor = "node_watcher";
           return d;
         }),
  };
}

} // namespace

caf::actor spawn_node_watcher(caf::local_actor* parent, node_watcher_options opts) {
  return caf::actor_cast<caf::actor>(
      parent->spawn<caf::detached>(node_watcher_fn, std::move(opts)));
}

} // namespace kvip
