// Benchmark: what message tracing costs (issue 2, DESIGN.md §6).
//
// Sends N messages through a two-actor pipeline (producer -> consumer, with
// a credit window so mailboxes stay small) in three modes, several rounds
// each, interleaved (and rotated) so machine noise hits every mode alike:
//   raw  plain CAF: untraced message types (no cause field), plain handlers
//        (no kvip::on, no cause counter), self->send (the baseline)
//   off  kvip messages, kvip::on handlers, kvip::tell, tracing off (what
//        production pays)
//   on   the same with tracing on, writing JSON lines to a file
// The two pipelines are one template over a "mode" (message types, how to
// send, how to wrap a handler), so off/raw measures exactly the tracing glue.
// Prints per-mode median and best rate and the ratios off/raw and on/off.
//
// usage: trace_bench [messages=1000000] [rounds=5] [trace-dir=/tmp]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include "actors/tracing.hpp"
#include "caf/all.hpp"

namespace {

// -- traced messages: what kvip actors send -------------------------------------
struct item : kvip::msg::traced {
  static constexpr const char* name = "item";
  std::uint64_t seq = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item& x) {
  return f(caf::meta::type_name(item::name), x.seq);
}

struct credit : kvip::msg::traced {
  static constexpr const char* name = "credit";
  std::uint64_t n = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, credit& x) {
  return f(caf::meta::type_name(credit::name), x.n);
}

// -- raw messages: the same payload, no cause ------------------------------------
struct raw_item {
  std::uint64_t seq = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raw_item& x) {
  return f(caf::meta::type_name("raw_item"), x.seq);
}

struct raw_credit {
  std::uint64_t n = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, raw_credit& x) {
  return f(caf::meta::type_name("raw_credit"), x.n);
}

/// Starts a run of `total` messages (sent once per run; not traced in any mode).
struct go {
  std::uint64_t total = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, go& x) {
  return f(caf::meta::type_name("go"), x.total);
}

/// Plain CAF: handlers as they are, self->send.
struct raw_mode {
  using item_t = raw_item;
  using credit_t = raw_credit;
  template <class Self, class F>
  static F handler(Self*, F f) {
    return f;
  }
  template <class Self, class Handle, class Msg>
  static void send(Self* self, const Handle& to, Msg m) {
    self->send(to, std::move(m));
  }
};

/// kvip's conventions: kvip::on handlers, kvip::tell.
struct traced_mode {
  using item_t = item;
  using credit_t = credit;
  template <class Self, class F>
  static auto handler(Self* self, F f) {
    return kvip::on(self, std::move(f));
  }
  template <class Self, class Handle, class Msg>
  static void send(Self* self, const Handle& to, Msg m) {
    kvip::tell(self, to, std::move(m));
  }
};

constexpr std::uint64_t window = 2000; // messages in flight
constexpr std::uint64_t batch = 500;   // consumer returns credit per batch

template <class Mode>
caf::behavior consumer(caf::event_based_actor* self) {
  auto seen = std::make_shared<std::uint64_t>(0);
  return {
      Mode::handler(self,
                    [self, seen](const typename Mode::item_t&) {
                      if (++*seen % batch != 0) return;
                      typename Mode::credit_t c;
                      c.n = batch;
                      Mode::send(self, caf::actor_cast<caf::actor>(self->current_sender()), c);
                    }),
  };
}

struct producer_state {
  caf::actor sink;
  std::uint64_t total = 0, sent = 0, acked = 0;
  caf::response_promise done;
};

template <class Mode>
caf::behavior producer(caf::stateful_actor<producer_state>* self, caf::actor sink) {
  self->state.sink = sink;
  auto pump = [self] {
    auto& st = self->state;
    while (st.sent < st.total && st.sent - st.acked < window) {
      typename Mode::item_t m;
      m.seq = st.sent++;
      Mode::send(self, st.sink, m);
    }
    if (st.acked >= st.total) st.done.deliver(true);
  };
  return {
      Mode::handler(self,
                    [self, pump](const go& g) {
                      auto& st = self->state;
                      st.total = g.total;
                      st.sent = st.acked = 0;
                      st.done = self->make_response_promise();
                      pump();
                    }),
      Mode::handler(self,
                    [self, pump](const typename Mode::credit_t& c) {
                      self->state.acked += c.n;
                      pump();
                    }),
  };
}

template <class Mode>
double run_once(caf::actor_system& sys, std::uint64_t n) {
  auto sink = sys.spawn(consumer<Mode>);
  auto src = sys.spawn(producer<Mode>, sink);
  caf::scoped_actor self{sys};
  go g;
  g.total = n;
  auto t0 = std::chrono::steady_clock::now();
  bool ok = false;
  self->request(src, caf::infinite, g)
      .receive([&](bool) { ok = true; }, [&](caf::error&) { ok = false; });
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  self->send_exit(src, caf::exit_reason::user_shutdown);
  self->send_exit(sink, caf::exit_reason::user_shutdown);
  if (!ok) {
    std::fprintf(stderr, "pipeline failed\n");
    std::exit(1);
  }
  return static_cast<double>(n) / secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

} // namespace

int main(int argc, char** argv) {
  std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string dir = argc > 3 ? argv[3] : "/tmp";
  if (n < batch || n % batch != 0 || rounds < 1) {
    std::fprintf(stderr, "usage: trace_bench [messages, multiple of %llu] [rounds] [dir]\n",
                 static_cast<unsigned long long>(batch));
    return 2;
  }
  std::string path = dir + "/kvip-trace-bench-" + std::to_string(::getpid()) + ".jsonl";
  auto& tsink = kvip::net::telemetry::trace_sink::instance();
  tsink.set_node("bench");

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::vector<double> raw, off, on;
  run_once<raw_mode>(sys, n / 10); // warm-up
  run_once<traced_mode>(sys, n / 10);
  // Each round starts with the next mode, so what one mode leaves behind (the
  // trace file's write-back after "on", a warm cache) does not always hit the same one.
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 3; ++k) {
      switch ((r + k) % 3) {
      case 0:
        raw.push_back(run_once<raw_mode>(sys, n));
        break;
      case 1:
        off.push_back(run_once<traced_mode>(sys, n));
        break;
      default:
        if (auto opened = tsink.set_path(path); !opened) {
          std::fprintf(stderr, "%s\n", opened.err().describe().c_str());
          return 1;
        }
        (void)tsink.set_enabled(true); // the path was just set
        on.push_back(run_once<traced_mode>(sys, n));
        (void)tsink.set_enabled(false);
        (void)tsink.set_path("");
        std::remove(path.c_str());
      }
    }
  }
  auto best = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  std::printf("trace_bench: %llu messages x %d rounds, 2-actor pipeline, window %llu\n",
              static_cast<unsigned long long>(n), rounds, static_cast<unsigned long long>(window));
  std::printf("%-28s %14s %14s\n", "mode", "median msg/s", "best msg/s");
  std::printf("%-28s %14.0f %14.0f\n", "raw CAF send (baseline)", median(raw), best(raw));
  std::printf("%-28s %14.0f %14.0f\n", "kvip::tell, tracing off", median(off), best(off));
  std::printf("%-28s %14.0f %14.0f\n", "kvip::tell, tracing on", median(on), best(on));
  std::printf("ratio off/raw (median): %.3f\n", median(off) / median(raw));
  std::printf("ratio on/off  (median): %.3f\n", median(on) / median(off));
  // On a shared machine the best round is the least disturbed one.
  std::printf("ratio off/raw (best):   %.3f\n", best(off) / best(raw));
  std::printf("ratio on/off  (best):   %.3f\n", best(on) / best(off));
  std::printf("trace records written: %llu\n", static_cast<unsigned long long>(tsink.written()));
  return 0;
}
