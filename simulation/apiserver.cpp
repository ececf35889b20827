#include "simulation/apiserver.hpp"

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "net/file.hpp"
#include "net/http/server.hpp"
#include "simulation/api_listener.hpp"
#include "simulation/certs.hpp"
#include "simulation/handlers.hpp"

namespace kvip::sim {

namespace json = boost::json;

struct apiserver::impl {
  apiserver_options opts;
  store st;
  fault_state faults;
  api_context ctx;
  std::unique_ptr<api_listener> listener;
  std::unique_ptr<net::http::server> admin;
  std::string token;
  std::string kubeconfig;

  std::mutex life_m;
  bool started = false;

  std::mutex snap_m;
  std::uint64_t saved_changes = 0;

  std::mutex tick_m;
  std::condition_variable tick_cv;
  bool tick_stop = false;
  std::thread ticker;

  static std::uint64_t initial_rv() {
    // Seeded from the wall clock so a restarted server never hands out RVs lower than the
    // ones clients hold from a previous run (they get 410 and relist instead).
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return static_cast<std::uint64_t>(ms);
  }

  explicit impl(apiserver_options o)
      : opts(std::move(o)), st(opts.history, initial_rv()), ctx{st, faults} {
    ctx.kube_version = opts.kube_version;
    ctx.default_watch_timeout = opts.default_watch_timeout;
  }

  net::result<void> save() {
    if (opts.snapshot.empty()) return net::ok();
    std::lock_guard g{snap_m};
    auto changes = st.changes();
    auto written = net::write_file(opts.snapshot, json::serialize(st.snapshot()) + "\n");
    if (written) saved_changes = changes;
    return written;
  }

  void tick_loop() {
    auto last_save = std::chrono::steady_clock::now();
    std::unique_lock lk{tick_m};
    while (!tick_stop) {
      tick_cv.wait_for(lk, std::chrono::milliseconds(100));
      st.tick(opts.bookmark_interval);
      auto now = std::chrono::steady_clock::now();
      if (!opts.snapshot.empty() && now - last_save >= std::chrono::seconds(1)) {
        bool dirty = false;
        {
          std::lock_guard g{snap_m};
          dirty = st.changes() != saved_changes;
        }
        if (dirty) {
          if (auto saved = save(); !saved)
            spdlog::warn("apiserver: snapshot: {}", saved.err().describe());
          last_save = now;
        }
      }
    }
  }
};

apiserver::apiserver(apiserver_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

apiserver::~apiserver() {
  stop();
}

net::result<void> apiserver::start() {
  auto& i = *impl_;
  std::lock_guard g{i.life_m};
  if (i.started) return net::make_error("already started");
  if (!i.opts.snapshot.empty() && std::filesystem::exists(i.opts.snapshot)) {
    auto text = net::read_file(i.opts.snapshot);
    if (!text) return text.err();
    boost::system::error_code ec;
    auto v = json::parse(*text, ec);
    if (ec || !v.is_object())
      return net::make_error("snapshot " + i.opts.snapshot + " is not a JSON object");
    try {
      if (auto loaded = i.st.load(v.as_object()); !loaded)
        return net::make_error(i.opts.snapshot + ": " + loaded.err().message);
    } catch (const std::exception& e) {
      return net::make_error(i.opts.snapshot + ": " + e.what());
    }
  }
  i.st.bootstrap();
  i.saved_changes = i.st.changes();

  listener_options lo;
  lo.listen = i.opts.listen;
  lo.threads = i.opts.threads;
  if (!i.opts.tls_dir.empty()) {
    if (i.opts.gen_certs) {
      if (auto made = generate_certs(i.opts.tls_dir, i.opts.extra_sans); !made) return made;
    }
    tls_material tls;
    if (auto loaded = load_tls_dir(i.opts.tls_dir, tls, i.token); !loaded) return loaded;
    lo.tls = std::move(tls);
    lo.tokens = {i.token};
  }
  i.listener = std::make_unique<api_listener>(
      lo, [&i](const net::http::request& req) { return handle_api(req, i.ctx); }, i.faults);
  if (auto started = i.listener->start(); !started) return started;
  auto url = i.listener->url();
  i.ctx.server_address = url.substr(url.find("://") + 3);
  if (!i.opts.tls_dir.empty()) {
    if (auto written = write_kubeconfig(i.opts.tls_dir, url, i.token); !written) return written;
    i.kubeconfig = std::filesystem::absolute(i.opts.tls_dir).string() + "/kubeconfig";
  }
  if (!i.opts.admin_listen.empty()) {
    i.admin = std::make_unique<net::http::server>(i.opts.admin_listen);
    admin_hooks hooks;
    hooks.drop_watches = [&i] { i.st.hub().close_all(); };
    hooks.compact = [&i] { i.st.compact(); };
    hooks.set_outage = [this](outage_mode m) { return set_outage(m); };
    hooks.stats = [&i] {
      return json::object{{"resourceVersion", std::to_string(i.st.current_rv())},
                          {"oldestResourceVersion", std::to_string(i.st.oldest_rv())},
                          {"objects", i.st.size()},
                          {"watches", i.st.hub().size()},
                          {"streams", i.listener->streams()},
                          {"writes", i.listener->writes()},
                          {"requests", i.listener->requests()}};
    };
    hooks.save_snapshot = [&i] { return i.save(); };
    install_admin_routes(*i.admin, i.faults, std::move(hooks));
    if (auto started = i.admin->start(); !started) {
      i.listener->stop();
      return net::make_error("admin: " + started.err().describe());
    }
  }
  i.tick_stop = false;
  i.ticker = std::thread([&i] { i.tick_loop(); });
  i.started = true;
  return net::ok();
}

void apiserver::stop() {
  auto& i = *impl_;
  std::lock_guard g{i.life_m};
  if (!i.started) return;
  i.started = false;
  {
    std::lock_guard tg{i.tick_m};
    i.tick_stop = true;
  }
  i.tick_cv.notify_all();
  if (i.ticker.joinable()) i.ticker.join();
  if (i.admin) i.admin->stop();
  i.st.hub().close_all();
  if (i.listener) i.listener->stop();
  if (auto saved = i.save(); !saved)
    spdlog::warn("apiserver: snapshot: {}", saved.err().describe());
}

std::string apiserver::url() const {
  return impl_->listener ? impl_->listener->url() : std::string{};
}

std::string apiserver::admin_url() const {
  if (!impl_->admin) return {};
  auto a = net::http::parse_listen_address(impl_->opts.admin_listen);
  std::string host = !a || a->host.empty() ? "127.0.0.1" : a->host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->admin->port());
}

std::string apiserver::kubeconfig() const {
  return impl_->kubeconfig;
}

std::string apiserver::token() const {
  return impl_->token;
}

store& apiserver::objects() {
  return impl_->st;
}

fault_state& apiserver::faults() {
  return impl_->faults;
}

net::result<void> apiserver::set_outage(outage_mode m) {
  auto& i = *impl_;
  i.faults.outage = m;
  if (m != outage_mode::none) i.st.hub().close_all();
  if (!i.listener) return net::ok();
  if (m == outage_mode::refuse) {
    i.listener->close_port();
  } else if (!i.listener->running()) {
    return i.listener->reopen();
  }
  return net::ok();
}

net::result<void> apiserver::save_snapshot() {
  return impl_->save();
}

int run_apiserver(const apiserver_options& opts) {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max; // thousands of watch connections need descriptors
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  apiserver srv{opts};
  if (auto started = srv.start(); !started) {
    std::fprintf(stderr, "kvip apiserver: %s\n", started.err().describe().c_str());
    return 1;
  }
  std::printf("kvip apiserver: serving on %s (Kubernetes v%s)\n", srv.url().c_str(),
              opts.kube_version.c_str());
  if (!srv.admin_url().empty())
    std::printf("kvip apiserver: admin on %s\n", srv.admin_url().c_str());
  if (!srv.kubeconfig().empty())
    std::printf("kvip apiserver: kubeconfig %s\n", srv.kubeconfig().c_str());
  std::fflush(stdout);
  int signo = 0;
  sigwait(&sigs, &signo);
  std::printf("kvip apiserver: stopping (signal %d)\n", signo);
  std::fflush(stdout);
  srv.stop();
  return 0;
}

} // namespace kvip::sim
