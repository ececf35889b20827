// Benchmark: the embedded API server at scale (issue 3, "Scale").
//
// Runs the server in a child process (the `kvip apiserver` code path,
// sim::run_apiserver, forked before any thread exists) so its memory and CPU
// are measured on their own through /proc/<pid>. Then, from this process:
//   1. creates the objects (ConfigMaps spread over namespaces, labelled app/tier)
//      with 4 writer threads;
//   2. opens the watches, each a real HTTP streaming connection (libcurl multi,
//      two loop threads), from the current resourceVersion: namespaced and
//      all-namespace ones, with no selector, equality and set-based selectors,
//      so the fan-out per update varies;
//   3. full-speed phase: `updates` merge patches from 4 writer threads; each
//      carries its id and send time, so every delivery is attributed;
//   4. paced phase: min(updates/5, 1000) patches at 250/s from one thread.
// Reports updates/s, fan-out latency (patch sent -> event parsed by each
// interested watch) p50/p99/max per phase, delivered vs expected events
// (any loss or duplicate is reported), and the server's RSS and CPU time.
//
// usage: apiserver_bench [objects=10000] [watches=1000] [updates=5000]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "k8s/client.hpp"
#include "net/wait.hpp"
#include "simulation/apiserver.hpp"
#include "watch_pool.hpp"

namespace {

namespace json = boost::json;
namespace k8s = kvip::k8s;
using kvip::bench::now_ns;
using namespace std::chrono_literals;

// -- the server child process -------------------------------------------------------

struct server_proc {
  pid_t pid = -1;
  std::string url;
  std::string admin;
};

/// Forks the API server; its URLs are read from its stdout. Call before any thread exists.
bool start_server(server_proc& s) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  pid_t parent = getpid();
  s.pid = fork();
  if (s.pid < 0) return false;
  if (s.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM); // never outlive the benchmark
    if (getppid() != parent) _exit(1);
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    kvip::sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    o.admin_listen = "127.0.0.1:0";
    _exit(kvip::sim::run_apiserver(o));
  }
  close(fds[1]);
  std::string out;
  auto deadline = now_ns() + 20'000'000'000LL;
  while (now_ns() < deadline && (s.url.empty() || s.admin.empty())) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    auto n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (auto i = line.find("serving on "); i != std::string::npos)
        s.url = line.substr(i + 11, line.find(' ', i + 11) - i - 11);
      if (auto i = line.find("admin on "); i != std::string::npos) s.admin = line.substr(i + 9);
    }
  }
  close(fds[0]);
  return !s.url.empty() && !s.admin.empty();
}

void stop_server(server_proc& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(s.pid, nullptr, WNOHANG) == s.pid) {
      s.pid = -1;
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  kill(s.pid, SIGKILL);
  waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

/// A line "Key:   N kB" of /proc/<pid>/status, in MiB.
double status_mib(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(key + ":", 0) == 0)
      return std::strtod(line.c_str() + key.size() + 1, nullptr) / 1024.0;
  return -1;
}

/// utime + stime of `pid`, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  std::istringstream rest(s.substr(s.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

size_t collect(char* p, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}

/// GET <admin>/stats as JSON (empty object on failure).
json::object admin_stats(const std::string& admin) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, (admin + "/stats").c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  auto rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  boost::system::error_code ec;
  auto v = rc == CURLE_OK ? json::parse(body, ec) : json::value{};
  return !ec && v.is_object() ? v.as_object() : json::object{};
}

// -- the object and watch model ----------------------------------------------------

struct model {
  int objects = 10000;
  int namespaces = 50;
  int app(int i) const { return i % 10; }
  int tier(int i) const { return (i / 10) % 3; }
  int ns(int i) const { return i % namespaces; }
  std::string ns_name(int n) const { return "bench-" + std::to_string(n); }
  std::string name(int i) const { return "cm-" + std::to_string(i); }
  /// The object the update `id` patches (a spread-out walk over all objects).
  int target(std::size_t id) const { return static_cast<int>((id * 7919) % objects); }
};

/// One watch: namespace (-1 = all) and a selector of one of four shapes.
struct watch_spec {
  int ns = -1;
  int shape = 0; ///< 0 none, 1 app=, 2 tier=, 3 app in (..),tier!=t0
  int k = 0;
  std::string selector() const {
    auto a = [](int v) { return "a" + std::to_string(v % 10); };
    switch (shape) {
    case 1:
      return "app=" + a(k);
    case 2:
      return "tier=t" + std::to_string(k % 3);
    case 3:
      return "app in (" + a(k) + "," + a(k + 1) + "),tier!=t0";
    default:
      return {};
    }
  }
  bool matches(const model& m, int i) const {
    if (ns >= 0 && m.ns(i) != ns) return false;
    switch (shape) {
    case 1:
      return m.app(i) == k % 10;
    case 2:
      return m.tier(i) == k % 3;
    case 3:
      return (m.app(i) == k % 10 || m.app(i) == (k + 1) % 10) && m.tier(i) != 0;
    default:
      return true;
    }
  }
};

watch_spec make_spec(const model& m, int j) {
  watch_spec w;
  w.ns = j % 20 == 0 ? -1 : j % m.namespaces; // every 20th watch spans all namespaces
  w.shape = (j + j / 20) % 4;
  w.k = j / 7;
  return w;
}

k8s::client_options unlimited() {
  k8s::client_options o;
  o.qps = 0;
  o.request_timeout = 30s;
  return o;
}

/// Runs `fn(thread_index)` on `n` threads and joins them.
template <class F>
void parallel(int n, F fn) {
  std::vector<std::thread> ts;
  for (int t = 0; t < n; ++t)
    ts.emplace_back(fn, t);
  for (auto& t : ts)
    t.join();
}

struct percentiles {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t n = 0;
};

percentiles summarize(std::vector<std::uint32_t> v) {
  percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))] / 1000.0;
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = v.back() / 1000.0;
  return p;
}

/// Sends the updates [first, last) from `threads` writers at full speed, or paced to
/// `rate`/s when rate > 0. Returns the failed count; request latencies go to `lat_us`.
int send_updates(const std::string& url, const model& m, std::size_t first, std::size_t last,
                 int threads, double rate, std::vector<std::uint32_t>& lat_us) {
  std::atomic<int> failed{0};
  std::mutex lat_m;
  auto t0 = std::chrono::steady_clock::now();
  parallel(threads, [&](int t) {
    k8s::client c({.server = url}, unlimited());
    std::vector<std::uint32_t> mine;
    for (std::size_t id = first + static_cast<std::size_t>(t); id < last;
         id += static_cast<std::size_t>(threads)) {
      if (rate > 0)
        std::this_thread::sleep_until(t0 + std::chrono::microseconds(static_cast<std::int64_t>(
                                               static_cast<double>(id - first) * 1e6 / rate)));
      int i = m.target(id);
      auto sent = now_ns();
      json::object patch{{"data", {{"seq", std::to_string(id)}, {"ts", std::to_string(sent)}}}};
      auto r = c.merge_patch(k8s::resources::config_maps, m.ns_name(m.ns(i)), m.name(i), patch);
      mine.push_back(static_cast<std::uint32_t>((now_ns() - sent) / 1000));
      if (!r) {
        if (failed++ == 0) std::fprintf(stderr, "update failed: %s\n", r.err().describe().c_str());
      }
    }
    std::lock_guard g{lat_m};
    lat_us.insert(lat_us.end(), mine.begin(), mine.end());
  });
  return failed;
}

/// Waits until `log.delivered` reaches `expected` or stops moving for 5 s. Seconds waited.
double drain(const kvip::bench::delivery_log& log, std::uint64_t expected) {
  auto start = now_ns();
  auto last = log.delivered.load();
  auto last_move = start;
  while (log.delivered.load() < expected && now_ns() - last_move < 5'000'000'000LL) {
    std::this_thread::sleep_for(2ms);
    if (auto d = log.delivered.load(); d != last) {
      last = d;
      last_move = now_ns();
    }
  }
  return static_cast<double>(now_ns() - start) / 1e9;
}

double secs_since(std::int64_t t) {
  return static_cast<double>(now_ns() - t) / 1e9;
}

int arg(int argc, char** argv, int i, int def) {
  return argc > i ? std::max(1, std::atoi(argv[i])) : def;
}

/// Everything one run measures.
struct run_results {
  int load_failed = 0;
  double load_s = 0, watch_open_s = 0;
  std::int64_t open_watches = 0;
  double full_s = 0, drain_full_s = 0, full_e2e_s = 0, paced_s = 0;
  double cpu_full = 0, cpu_total = 0;
  double rss_idle = 0, rss_loaded = 0, rss_watches = 0, rss_after = 0, hwm = 0, client_rss = 0;
  std::uint64_t expected_full = 0, expected_paced = 0, delivered_full = 0, delivered = 0;
  std::uint64_t lost = 0, dup = 0, unexpected = 0, ended = 0;
  int failed = 0;
  percentiles lat_full, lat_paced, wr_full, wr_paced;
};

/// Phase 1: the namespaces and objects, created by 4 writers; failures counted.
int load_objects(const model& m, const std::string& url) {
  std::atomic<int> failed{0};
  {
    k8s::client c({.server = url}, unlimited());
    for (int n = 0; n < m.namespaces; ++n)
      if (!c.create(k8s::resources::namespaces, "",
                    json::object{{"metadata", {{"name", m.ns_name(n)}}}}))
        ++failed;
  }
  parallel(4, [&](int t) {
    k8s::client c({.server = url}, unlimited());
    for (int i = t; i < m.objects; i += 4) {
      json::object obj{{"metadata",
                        {{"name", m.name(i)},
                         {"labels",
                          {{"app", "a" + std::to_string(m.app(i))},
                           {"tier", "t" + std::to_string(m.tier(i))}}}}},
                       {"data", {{"seq", "-1"}, {"ts", "0"}, {"payload", std::string(64, 'x')}}}};
      if (!c.create(k8s::resources::config_maps, m.ns_name(m.ns(i)), std::move(obj))) ++failed;
    }
  });
  return failed;
}

/// How many watch events each update must produce (one per matching watch).
std::vector<std::uint32_t> expected_events(const model& m, const std::vector<watch_spec>& specs,
                                           std::size_t total_updates) {
  std::vector<std::uint32_t> out(total_updates, 0);
  for (std::size_t id = 0; id < total_updates; ++id) {
    int i = m.target(id);
    for (const auto& s : specs)
      out[id] += s.matches(m, i) ? 1 : 0;
  }
  return out;
}

/// Phase 2: opens every watch from `rv`; returns how many the server counts
/// once all are open or 60 s passed.
std::int64_t open_watches(kvip::bench::watch_pool& pool, const server_proc& srv, const model& m,
                          const std::vector<watch_spec>& specs, const std::string& rv) {
  for (const auto& s : specs) {
    std::string path =
        s.ns < 0 ? "/api/v1/configmaps" : "/api/v1/namespaces/" + m.ns_name(s.ns) + "/configmaps";
    pool.add(srv.url + k8s::with_query(path, {{"watch", "true"},
                                              {"resourceVersion", rv},
                                              {"labelSelector", s.selector()},
                                              {"timeoutSeconds", "900"}}));
  }
  pool.start();
  std::int64_t open = 0;
  kvip::net::eventually(
      [&] {
        auto st = admin_stats(srv.admin);
        open = st.contains("watches") ? st.at("watches").to_number<std::int64_t>() : 0;
        return open >= static_cast<std::int64_t>(specs.size());
      },
      60s, 20ms);
  return open;
}

std::string num(double v, int prec = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return std::string(b);
}

void row(const char* k, const std::string& v) {
  std::printf("%-44s %12s\n", k, v.c_str());
}

void print_report(const model& m, int watches, std::size_t full, std::size_t paced,
                  const run_results& r) {
  std::printf("\n%-44s %12s\n", "metric", "value");
  row("objects created",
      std::to_string(m.objects) +
          (r.load_failed ? " (fail " + std::to_string(r.load_failed) + ")" : ""));
  row("create rate (objects/s, 4 writers)", num(m.objects / r.load_s, 0));
  row("watches open (server count)",
      std::to_string(r.open_watches) + "/" + std::to_string(watches));
  row("watch open time (s)", num(r.watch_open_s, 2));
  row("full-speed updates (4 writers)", std::to_string(full));
  row("  updates/s sustained", num(static_cast<double>(full) / r.full_s, 0));
  row("  patch round trip p50 / p99 (ms)", num(r.wr_full.p50, 2) + " / " + num(r.wr_full.p99, 2));
  row("  events expected", std::to_string(r.expected_full));
  row("  events delivered", std::to_string(r.delivered_full));
  row("  events/s delivered (until drained)",
      num(static_cast<double>(r.delivered_full) / r.full_e2e_s, 0));
  row("  drain after last patch (s)", num(r.drain_full_s, 2));
  row("  fan-out latency p50 (ms)", num(r.lat_full.p50, 2));
  row("  fan-out latency p99 (ms)", num(r.lat_full.p99, 2));
  row("  fan-out latency max (ms)", num(r.lat_full.max, 2));
  row("  server CPU (s)", num(r.cpu_full, 2));
  row("paced updates (250/s, 1 writer)", std::to_string(paced) + " in " + num(r.paced_s, 1) + " s");
  row("  patch round trip p50 / p99 (ms)", num(r.wr_paced.p50, 2) + " / " + num(r.wr_paced.p99, 2));
  row("  events expected", std::to_string(r.expected_paced));
  row("  fan-out latency p50 (ms)", num(r.lat_paced.p50, 2));
  row("  fan-out latency p99 (ms)", num(r.lat_paced.p99, 2));
  row("  fan-out latency max (ms)", num(r.lat_paced.max, 2));
  row("events delivered / expected (total)",
      std::to_string(r.delivered) + "/" + std::to_string(r.expected_full + r.expected_paced));
  row("events lost / duplicated / unexpected", std::to_string(r.lost) + " / " +
                                                   std::to_string(r.dup) + " / " +
                                                   std::to_string(r.unexpected));
  row("streams ended early / failed patches",
      std::to_string(r.ended) + " / " + std::to_string(r.failed));
  row("server RSS idle (MiB)", num(r.rss_idle));
  row("server RSS with objects (MiB)", num(r.rss_loaded));
  row("server RSS with watches open (MiB)", num(r.rss_watches));
  row("server RSS after updates / peak (MiB)", num(r.rss_after) + " / " + num(r.hwm));
  row("server CPU, both phases (s)", num(r.cpu_total, 2));
  row("benchmark process RSS (MiB)", num(r.client_rss));
}

/// Phases 3 and 4: updates at full speed, then paced; fills the delivery numbers.
void run_updates(const server_proc& srv, const model& m, std::size_t full, std::size_t total,
                 kvip::bench::watch_pool& pool, const kvip::bench::delivery_log& log,
                 const std::vector<std::uint32_t>& expected, run_results& r) {
  const double cpu_before = cpu_seconds(srv.pid);
  std::vector<std::uint32_t> write_full, write_paced;
  auto t_full = now_ns();
  r.failed = send_updates(srv.url, m, 0, full, 4, 0, write_full);
  r.full_s = secs_since(t_full);
  r.drain_full_s = drain(log, r.expected_full);
  r.full_e2e_s = secs_since(t_full);
  r.cpu_full = cpu_seconds(srv.pid) - cpu_before;
  r.delivered_full = log.delivered.load();
  auto t_paced = now_ns();
  r.failed += send_updates(srv.url, m, full, total, 1, 250, write_paced);
  r.paced_s = secs_since(t_paced);
  drain(log, r.expected_full + r.expected_paced);
  r.rss_after = status_mib(srv.pid, "VmRSS");
  r.hwm = status_mib(srv.pid, "VmHWM");
  r.cpu_total = cpu_seconds(srv.pid) - cpu_before;
  pool.stop();
  for (std::size_t id = 0; id < total; ++id) {
    auto got = log.per_update[id].load();
    auto want = expected[id];
    r.lost += got < want ? want - got : 0;
    r.dup += got > want ? got - want : 0;
  }
  r.delivered = log.delivered.load();
  r.unexpected = log.unexpected.load();
  r.ended = log.ended.load();
  r.lat_full = summarize(pool.latencies(0));
  r.lat_paced = summarize(pool.latencies(1));
  r.wr_full = summarize(write_full);
  r.wr_paced = summarize(write_paced);
}

void raise_fd_limit(int watches) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (static_cast<rlim_t>(watches) + 64 > rl.rlim_cur)
    std::fprintf(stderr, "warning: fd limit %llu is low for %d watches\n",
                 static_cast<unsigned long long>(rl.rlim_cur), watches);
}

} // namespace

int main(int argc, char** argv) {
  model m;
  m.objects = arg(argc, argv, 1, 10000);
  const int watches = arg(argc, argv, 2, 1000);
  const auto full = static_cast<std::size_t>(arg(argc, argv, 3, 5000));
  const std::size_t paced = std::min<std::size_t>(full / 5, 1000);
  m.namespaces = std::clamp(m.objects / 200, 1, 50);
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit(watches);

  server_proc srv;
  if (!start_server(srv)) {
    std::fprintf(stderr, "apiserver_bench: the API server did not start\n");
    stop_server(srv);
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::printf("apiserver_bench: %d objects in %d namespaces, %d watches, %zu + %zu updates\n",
              m.objects, m.namespaces, watches, full, paced);
  std::printf("server pid %d at %s (admin %s)\n", srv.pid, srv.url.c_str(), srv.admin.c_str());
  run_results r;
  r.rss_idle = status_mib(srv.pid, "VmRSS");

  auto t_load = now_ns();
  r.load_failed = load_objects(m, srv.url);
  r.load_s = secs_since(t_load);
  r.rss_loaded = status_mib(srv.pid, "VmRSS");
  auto stats = admin_stats(srv.admin);
  const std::string rv = stats.contains("resourceVersion")
                             ? std::string(stats.at("resourceVersion").as_string())
                             : std::string();

  // Watches from the current resourceVersion (list-then-watch without the list).
  std::vector<watch_spec> specs;
  for (int j = 0; j < watches; ++j)
    specs.push_back(make_spec(m, j));
  const std::size_t total_updates = full + paced;
  auto expected = expected_events(m, specs, total_updates);
  for (std::size_t id = 0; id < total_updates; ++id)
    (id < full ? r.expected_full : r.expected_paced) += expected[id];
  kvip::bench::delivery_log log(total_updates);
  kvip::bench::watch_pool pool(log, full, 2);
  auto t_watch = now_ns();
  r.open_watches = open_watches(pool, srv, m, specs, rv);
  r.watch_open_s = secs_since(t_watch);
  r.rss_watches = status_mib(srv.pid, "VmRSS");

  run_updates(srv, m, full, total_updates, pool, log, expected, r);
  r.client_rss = status_mib(getpid(), "VmRSS");
  stop_server(srv);

  print_report(m, watches, full, paced, r);
  int rc = 0;
  if (r.lost != 0 || r.dup != 0 || r.unexpected != 0 || r.failed != 0 || r.load_failed != 0 ||
      r.open_watches < watches) {
    std::printf("RESULT: FAIL (loss, duplicates, errors or missing watches)\n");
    rc = 2;
  } else {
    std::printf("RESULT: OK (every expected event delivered exactly once)\n");
  }
  curl_global_cleanup();
  return rc;
}
