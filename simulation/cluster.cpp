#include "simulation/cluster.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "net/wait.hpp"

namespace kvip::sim {

namespace {

constexpr const char* api_addr = "10.99.0.254";
constexpr int api_tcp_port = 6443;
constexpr int admin_port = 6444;

} // namespace

net::result<std::unique_ptr<cluster>> cluster::create(const cluster_options& opts) {
  std::unique_ptr<cluster> c{new cluster};
  c->opts_ = opts;
  c->workdir_ = opts.workdir;
  if (c->workdir_.empty()) {
    char tmpl[] = "/tmp/kvip-sim-XXXXXX";
    if (!::mkdtemp(tmpl)) return net::make_error("cannot create a work directory in /tmp", errno);
    c->workdir_ = tmpl;
    c->own_workdir_ = true;
  } else {
    // A --workdir that does not exist yet is made (it was left to the API
    // server's log redirection, which failed with only "No such file").
    std::error_code ec;
    std::filesystem::create_directories(c->workdir_, ec);
    if (ec)
      return net::make_error("--workdir " + c->workdir_ + ": cannot create it: " + ec.message());
  }
  auto built = lab::create({.nodes = opts.nodes});
  if (!built) return built.err();
  c->lab_ = std::move(*built);

  // The API server, plain HTTP on the bridge address, admin port beside it.
  auto& infra = c->lab_->infra();
  auto api =
      c->lab_->start(infra,
                     {opts.kvip_binary, "apiserver", "--listen",
                      std::string{api_addr} + ":" + std::to_string(api_tcp_port), "--admin-listen",
                      std::string{api_addr} + ":" + std::to_string(admin_port)},
                     {}, c->workdir_ + "/apiserver.log");
  if (!api) return api.err();
  c->api_proc_ = *api;
  auto url = "http://" + std::string{api_addr} + ":" + std::to_string(api_tcp_port);
  auto healthy = [&] {
    return c->lab_
        ->run(infra, {"curl", "-sf", "--max-time", "2", "-o", "/dev/null", url + "/healthz"})
        .ok();
  };
  if (!net::eventually(healthy, std::chrono::seconds{15}, std::chrono::milliseconds{50})) {
    // The work directory goes with the cluster: quote the log in the error.
    auto log = run_command({"tail", "-n", "20", c->workdir_ + "/apiserver.log"}).output;
    return net::make_error("the API server did not come up; its log:\n" + log);
  }
  c->kubeconfig_ = c->workdir_ + "/kubeconfig";
  std::ofstream kc{c->kubeconfig_};
  kc << "apiVersion: v1\nkind: Config\n"
     << "clusters:\n- name: lab\n  cluster:\n    server: " << url << "\n"
     << "users:\n- name: lab\n  user: {}\n"
     << "contexts:\n- name: lab\n  context:\n    cluster: lab\n    user: lab\n"
     << "current-context: lab\n";
  kc.close();

  for (int i = 0; i < opts.nodes && opts.peers_from_nodes; ++i)
    if (auto made = c->create_node_object(i); !made) return made.err();
  c->node_procs_.resize(static_cast<std::size_t>(opts.nodes));
  for (int i = 0; i < opts.nodes && opts.start_nodes; ++i)
    if (auto started = c->start_node(i); !started) return started.err();
  return c;
}

cluster::~cluster() {
  // Kill the nodes, then tear the lab down (deleting a namespace removes the
  // addresses in it, so no VIP outlives the lab).
  for (std::size_t i = 0; i < node_procs_.size(); ++i)
    if (node_procs_[i] && lab_->proc(*node_procs_[i]).running())
      lab_->proc(*node_procs_[i]).signal(SIGKILL);
  lab_.reset();
  if (own_workdir_ && std::getenv("KVIP_KEEP_SIM") == nullptr) run_command({"rm", "-rf", workdir_});
}

net::result<void> cluster::start_node(int i, const std::map<std::string, std::string>& env) {
  auto& h = lab_->nodes().at(static_cast<std::size_t>(i));
  auto& slot = node_procs_.at(static_cast<std::size_t>(i));
  if (slot && lab_->proc(*slot).running())
    return net::make_error("node " + h.name + " is already running");
  std::string vips;
  for (auto& v : opts_.vips)
    vips += (vips.empty() ? "" : ",") + v;
  std::map<std::string, std::string> e{
      {"vip_arp", "true"},
      {"cp_enable", "true"},
      {"address", vips},
      {"vip_interface", "eth0"},
      {"vip_nodename", h.name},
      {"k8s_config_file", kubeconfig_},
      {"vip_leaseduration", std::to_string(opts_.lease_duration_s)},
      {"vip_renewdeadline", std::to_string(opts_.renew_deadline_s)},
      {"vip_retryperiod", std::to_string(opts_.retry_period_s)},
      {"prometheus_server", ":2112"},
  };
  for (auto& [k, v] : opts_.extra_env)
    e[k] = v;
  for (auto& [k, v] : env)
    e[k] = v;
  auto started = lab_->start(h, {opts_.kvip_binary, "manager"}, e, node_log(i));
  if (!started) return started.err();
  slot = *started;
  return net::ok();
}

net::result<void> cluster::start_program(int i, std::vector<std::string> argv,
                                         const std::map<std::string, std::string>& env) {
  auto& h = lab_->nodes().at(static_cast<std::size_t>(i));
  auto& slot = node_procs_.at(static_cast<std::size_t>(i));
  if (slot && lab_->proc(*slot).running())
    return net::make_error("node " + h.name + " is already running");
  auto started = lab_->start(h, std::move(argv), env, node_log(i));
  if (!started) return started.err();
  slot = *started;
  return net::ok();
}

int cluster::node_pid(int i) {
  auto& slot = node_procs_.at(static_cast<std::size_t>(i));
  return slot ? static_cast<int>(lab_->proc(*slot).pid()) : -1;
}

const char* cluster::api_address() {
  return api_addr;
}

int cluster::api_port() {
  return api_tcp_port;
}

bool cluster::signal_node(int i, int signo) {
  auto& slot = node_procs_.at(static_cast<std::size_t>(i));
  return slot && lab_->proc(*slot).signal(signo);
}

int cluster::wait_node(int i, std::chrono::milliseconds timeout) {
  auto& slot = node_procs_.at(static_cast<std::size_t>(i));
  return slot ? lab_->proc(*slot).wait(timeout) : -1;
}

bool cluster::node_running(int i) {
  auto& slot = node_procs_.at(static_cast<std::size_t>(i));
  return slot && lab_->proc(*slot).running();
}

std::string cluster::node_log(int i) const {
  return workdir_ + "/" + lab_->nodes().at(static_cast<std::size_t>(i)).name + ".log";
}

std::string cluster::node_metrics(int i) {
  auto r = lab_->run(lab_->nodes().at(static_cast<std::size_t>(i)),
                     {"curl", "-sf", "--max-time", "2", "http://127.0.0.1:2112/metrics"});
  return r.ok() ? r.output : std::string{};
}

int cluster::node_of(const net::mac_address& mac) const {
  for (std::size_t i = 0; i < lab_->nodes().size(); ++i)
    if (lab_->nodes()[i].mac == mac) return static_cast<int>(i);
  return -1;
}

net::result<std::unique_ptr<prober>> cluster::probe(const std::string& vip) {
  auto ip = net::ip_address::parse(vip);
  if (!ip) return net::make_error("not an IP address: " + vip);
  probe_options po;
  po.netns = lab_->client().netns;
  po.vip = *ip;
  po.src = ip->is_v4() ? lab_->client().ipv4 : lab_->client().ipv6;
  po.src_mac = lab_->client().mac;
  return prober::start(po);
}

net::result<void> cluster::create_node_object(int i) {
  namespace json = boost::json;
  const auto& h = lab_->nodes().at(static_cast<std::size_t>(i));
  json::array addresses{json::object{{"type", "InternalIP"}, {"address", h.ipv4.to_string()}},
                        json::object{{"type", "Hostname"}, {"address", h.name}}};
  json::object node{{"apiVersion", "v1"},
                    {"kind", "Node"},
                    {"metadata", json::object{{"name", h.name}}},
                    {"status", json::object{{"addresses", std::move(addresses)}}}};
  auto r =
      lab_->run(lab_->infra(), {"curl", "-sf", "--max-time", "5", "-X", "POST", "-H",
                                "Content-Type: application/json", "--data", json::serialize(node),
                                "http://" + std::string{api_addr} + ":" +
                                    std::to_string(api_tcp_port) + "/api/v1/nodes"});
  if (!r.ok()) return net::make_error("cannot create the Node " + h.name + ": " + r.output);
  return net::ok();
}

net::result<void> cluster::delete_node_object(int i) {
  const auto& h = lab_->nodes().at(static_cast<std::size_t>(i));
  auto r = lab_->run(lab_->infra(), {"curl", "-sf", "--max-time", "5", "-X", "DELETE",
                                     "http://" + std::string{api_addr} + ":" +
                                         std::to_string(api_tcp_port) + "/api/v1/nodes/" + h.name});
  if (!r.ok()) return net::make_error("cannot delete the Node " + h.name + ": " + r.output);
  return net::ok();
}

net::result<void> cluster::api_fault(const std::string& path) {
  auto r = lab_->run(lab_->infra(), {"curl", "-sf", "--max-time", "5", "-X", "POST",
                                     "http://" + std::string{api_addr} + ":" +
                                         std::to_string(admin_port) + "/faults/" + path});
  if (!r.ok()) return net::make_error("admin " + path + ": " + r.output);
  return net::ok();
}

net::result<api_write_counts> cluster::api_writes() {
  auto r = lab_->run(lab_->infra(), {"curl", "-sf", "--max-time", "5",
                                     "http://" + std::string{api_addr} + ":" +
                                         std::to_string(admin_port) + "/stats"});
  if (!r.ok()) return net::make_error("admin stats: " + r.output);
  boost::system::error_code ec;
  auto v = boost::json::parse(r.output, ec);
  const boost::json::object* o = v.is_object() ? &v.as_object() : nullptr;
  const auto* w = o ? o->if_contains("writes") : nullptr;
  if (ec || !w || !w->is_object())
    return net::make_error("admin stats: no write counters in: " + r.output);
  api_write_counts out;
  auto count = [](const boost::json::value& x) {
    return x.is_uint64()  ? x.as_uint64()
           : x.is_int64() ? static_cast<std::uint64_t>(x.as_int64())
                          : 0;
  };
  if (const auto* t = w->as_object().if_contains("total")) out.total = count(*t);
  for (auto [key, into] :
       {std::pair{"byResource", &out.by_resource}, std::pair{"byClient", &out.by_client}})
    if (const auto* m = w->as_object().if_contains(key); m && m->is_object())
      for (const auto& kv : m->as_object())
        (*into)[std::string{kv.key()}] = count(kv.value());
  if (const auto* rq = o->if_contains("requests"); rq && rq->is_object()) {
    if (const auto* t = rq->as_object().if_contains("total")) out.requests = count(*t);
    if (const auto* m = rq->as_object().if_contains("byResource"); m && m->is_object())
      for (const auto& kv : m->as_object())
        out.requests_by_resource[std::string{kv.key()}] = count(kv.value());
  }
  return out;
}

} // namespace kvip::sim
