#include "simulation/lab_services.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "k8s/client.hpp"
#include "k8s/kubeconfig.hpp"
#include "k8s/resource.hpp"

namespace kvip::sim {

namespace json = boost::json;

std::int64_t mono_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

json::array port_list(const std::vector<std::pair<std::string, int>>& ports, bool service) {
  json::array out;
  for (const auto& [proto, port] : ports) {
    std::string name = "p" + std::to_string(port) + "-" + proto;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    json::object p{{"name", name}, {"protocol", proto}, {"port", port}};
    if (service) p["targetPort"] = port;
    out.push_back(std::move(p));
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

/// Writes s's fields into `svc` (a new object or the stored one).
void apply_spec(json::object& svc, const service_spec& s) {
  auto& meta =
      svc["metadata"].is_object() ? svc["metadata"].as_object() : svc["metadata"].emplace_object();
  meta["name"] = s.name;
  meta["namespace"] = s.ns;
  auto& ann = meta["annotations"].is_object() ? meta["annotations"].as_object()
                                              : meta["annotations"].emplace_object();
  if (s.ips.empty())
    ann.erase("kube-vip.io/loadbalancerIPs");
  else
    ann["kube-vip.io/loadbalancerIPs"] = join(s.ips);
  for (const auto& [k, v] : s.annotations)
    ann[k] = v;
  auto& spec = svc["spec"].is_object() ? svc["spec"].as_object() : svc["spec"].emplace_object();
  spec["type"] = "LoadBalancer";
  spec["ports"] = port_list(s.ports, true);
  spec["selector"] = json::object{{"app", s.name}};
  spec["externalTrafficPolicy"] = s.local ? "Local" : "Cluster";
  if (!s.ip_families.empty()) {
    json::array fam;
    for (const auto& f : s.ip_families)
      fam.push_back(json::string{f});
    spec["ipFamilies"] = std::move(fam);
  }
  if (!s.ip_family_policy.empty()) spec["ipFamilyPolicy"] = s.ip_family_policy;
  if (!s.load_balancer_ip.empty())
    spec["loadBalancerIP"] = s.load_balancer_ip;
  else
    spec.erase("loadBalancerIP");
}

/// Enters the namespace `netns` on this thread; "" or why not.
std::string enter_netns(const std::string& netns) {
  std::string path = "/run/netns/" + netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "open " + path + ": " + std::strerror(errno);
  int rc = ::setns(fd, CLONE_NEWNET);
  int e = errno;
  ::close(fd);
  return rc == 0 ? std::string{} : "setns " + netns + ": " + std::strerror(e);
}

} // namespace

json::object service_object(const service_spec& s) {
  json::object svc{{"apiVersion", "v1"}, {"kind", "Service"}};
  apply_spec(svc, s);
  return svc;
}

std::string slice_name(const slice_spec& s) {
  return !s.name.empty() ? s.name : s.service + (s.ipv6 ? "-lab6" : "-lab");
}

json::object slice_object(const slice_spec& s, const std::vector<std::string>& node_names) {
  json::array eps;
  int k = 0;
  for (int n : s.nodes) {
    ++k;
    // A made-up pod address per node and endpoint: 10.244.<node>.<k>, fd44::<node>:<k>.
    auto addr = s.ipv6 ? "fd44::" + std::to_string(n + 1) + ":" + std::to_string(k)
                       : "10.244." + std::to_string(n + 1) + "." + std::to_string(k);
    eps.push_back(
        json::object{{"addresses", json::array{json::string{addr}}},
                     {"conditions", json::object{{"ready", s.ready}, {"serving", s.ready}}},
                     {"nodeName", node_names.at(static_cast<std::size_t>(n))}});
  }
  return json::object{
      {"apiVersion", "discovery.k8s.io/v1"},
      {"kind", "EndpointSlice"},
      {"metadata",
       json::object{{"name", slice_name(s)},
                    {"namespace", s.ns},
                    {"labels", json::object{{"kubernetes.io/service-name", s.service}}}}},
      {"addressType", s.ipv6 ? "IPv6" : "IPv4"},
      {"endpoints", std::move(eps)},
      {"ports", port_list(s.ports, false)}};
}

net::result<std::unique_ptr<lab_services>> lab_services::open(cluster& c, int workers) {
  auto conn = k8s::load_kubeconfig(c.kubeconfig());
  if (!conn) return net::make_error("lab_services: " + conn.err().describe());
  std::unique_ptr<lab_services> s{new lab_services{c}};
  for (const auto& h : c.lab().nodes())
    s->node_names_.push_back(h.name);
  std::string failed;
  for (int i = 0; i < std::max(workers, 1); ++i) {
    std::promise<std::string> started;
    auto answer = started.get_future();
    s->threads_.emplace_back([raw = s.get(), cc = *conn, &started] { raw->worker(cc, &started); });
    if (auto why = answer.get(); !why.empty()) failed = why;
  }
  if (!failed.empty()) return net::make_error("lab_services: " + failed);
  return s;
}

lab_services::~lab_services() {
  {
    std::lock_guard g{m_};
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void lab_services::worker(const k8s::connection_config& conn, std::promise<std::string>* started) {
  auto why = enter_netns(c_.lab().client().netns);
  started->set_value(why);
  if (!why.empty()) return;
  k8s::client_options o;
  o.qps = 0; // the lab's own load: no client-side limit
  k8s::client client{conn, o};
  for (;;) {
    task t;
    {
      std::unique_lock g{m_};
      cv_.wait(g, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    t(client);
  }
}

void lab_services::post(task t) {
  {
    std::lock_guard g{m_};
    queue_.push_back(std::move(t));
  }
  cv_.notify_one();
}

void lab_services::run(const std::function<void(k8s::client&)>& fn) {
  std::promise<void> done;
  auto f = done.get_future();
  post([&](k8s::client& cl) {
    fn(cl);
    done.set_value();
  });
  f.get();
}

net::result<void> lab_services::ensure_namespace(const std::string& ns) {
  k8s::result<json::object> r = k8s::make_error(k8s::error_kind::cancelled, "not run");
  run([&](k8s::client& cl) {
    r = cl.create(k8s::resources::namespaces, "", json::object{{"metadata", {{"name", ns}}}});
  });
  if (!r && !r.is(k8s::error_kind::already_exists))
    return net::make_error("namespace " + ns + ": " + r.err().describe());
  return net::ok();
}

k8s::result<json::object> lab_services::create(const service_spec& s) {
  k8s::result<json::object> r = k8s::make_error(k8s::error_kind::cancelled, "not run");
  run([&](k8s::client& cl) {
    r = cl.create(k8s::resources::services, s.ns, service_object(s));
    if (!r || s.endpoints_on.empty()) return;
    slice_spec sl{.service = s.name, .ns = s.ns, .nodes = s.endpoints_on, .ports = s.ports};
    auto made = cl.create(k8s::resources::endpoint_slices, s.ns, slice_object(sl, node_names_));
    if (!made) r = made.err();
  });
  return r;
}

k8s::result<json::object> lab_services::update(const service_spec& s) {
  k8s::result<json::object> r = k8s::make_error(k8s::error_kind::cancelled, "not run");
  run([&](k8s::client& cl) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto got = cl.get(k8s::resources::services, s.ns, s.name);
      if (!got) {
        r = got.err();
        return;
      }
      apply_spec(*got, s);
      r = cl.update(k8s::resources::services, s.ns, std::move(*got));
      if (!r.is(k8s::error_kind::conflict)) return;
    }
  });
  return r;
}

k8s::result<json::object> lab_services::get(const std::string& ns, const std::string& name) {
  k8s::result<json::object> r = k8s::make_error(k8s::error_kind::cancelled, "not run");
  run([&](k8s::client& cl) { r = cl.get(k8s::resources::services, ns, name); });
  return r;
}

k8s::result<void> lab_services::remove(const std::string& ns, const std::string& name,
                                       bool with_slices) {
  k8s::result<void> r;
  run([&](k8s::client& cl) {
    if (auto d = cl.remove(k8s::resources::services, ns, name); !d) r = d.err();
    if (!r || !with_slices) return;
    k8s::list_options lo;
    lo.label_selector = "kubernetes.io/service-name=" + name;
    auto slices = cl.list(k8s::resources::endpoint_slices, ns, lo);
    if (!slices) {
      r = slices.err();
      return;
    }
    for (const auto& sl : slices->items) {
      auto n = json::value_to<std::string>(sl.at("metadata").at("name"));
      if (auto d = cl.remove(k8s::resources::endpoint_slices, ns, n);
          !d && !d.is(k8s::error_kind::not_found))
        r = d.err();
    }
  });
  return r;
}

k8s::result<void> lab_services::set_endpoints(const slice_spec& s) {
  k8s::result<void> r;
  run([&](k8s::client& cl) {
    auto obj = slice_object(s, node_names_);
    auto put = cl.update(k8s::resources::endpoint_slices, s.ns, obj);
    if (put.is(k8s::error_kind::not_found))
      put = cl.create(k8s::resources::endpoint_slices, s.ns, obj);
    if (!put) r = put.err();
  });
  return r;
}

k8s::result<void> lab_services::remove_endpoints(const std::string& ns, const std::string& slice) {
  k8s::result<void> r;
  run([&](k8s::client& cl) {
    if (auto d = cl.remove(k8s::resources::endpoint_slices, ns, slice); !d) r = d.err();
  });
  return r;
}

k8s::result<std::vector<json::object>> lab_services::events(const std::string& ns,
                                                            const std::string& name) {
  k8s::result<std::vector<json::object>> r = k8s::make_error(k8s::error_kind::cancelled, "not run");
  run([&](k8s::client& cl) {
    k8s::list_options lo;
    lo.field_selector = "involvedObject.kind=Service,involvedObject.name=" + name;
    auto l = cl.list(k8s::resources::events, ns, lo);
    if (!l)
      r = l.err();
    else
      r = std::move(l->items);
  });
  return r;
}

std::vector<created_service>
lab_services::create_many(const std::vector<service_spec>& specs,
                          const std::function<void(std::size_t, const created_service&)>& on_done) {
  std::vector<created_service> out(specs.size());
  if (specs.empty()) return out;
  std::atomic<std::size_t> next{0};
  // Every posted pump must have returned before the locals it uses go.
  std::atomic<std::size_t> pumps{threads_.size()};
  std::promise<void> all;
  auto done = all.get_future();
  auto one = [&](k8s::client& cl, std::size_t i) {
    const auto& s = specs[i];
    auto& c = out[i];
    c.ns = s.ns;
    c.name = s.name;
    c.start_us = mono_us();
    auto r = cl.create(k8s::resources::services, s.ns, service_object(s));
    if (r && !s.endpoints_on.empty()) {
      slice_spec sl{.service = s.name, .ns = s.ns, .nodes = s.endpoints_on, .ports = s.ports};
      r = cl.create(k8s::resources::endpoint_slices, s.ns, slice_object(sl, node_names_));
    }
    c.done_us = mono_us();
    if (!r) c.error = r.err().describe();
    if (on_done) on_done(i, c);
  };
  // Every worker takes the next spec until none is left.
  auto pump = [&](k8s::client& cl) {
    for (std::size_t i; (i = next.fetch_add(1)) < specs.size();)
      one(cl, i);
    if (pumps.fetch_sub(1) == 1) all.set_value();
  };
  for (std::size_t w = 0; w < threads_.size(); ++w)
    post(pump);
  done.get();
  return out;
}

} // namespace kvip::sim
