// The memory keeper (actors/memory_keeper): this test process leaves 60 MiB
// of freed memory inside the heap (4 KiB blocks, one in 64 kept, so glibc's
// free() cannot shrink the heap from its top), and the keeper's periodic
// trim gives those pages back to the kernel: RssAnon drops, the trim is
// counted and the heap's in-use and free bytes are reported. Real time (a
// real actor system and the process's own memory); every wait is bounded.
#define CAF_SUITE memory_keeper
#include "test/actors/fixture.hpp"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "actors/memory_keeper.hpp"
#include "messages/supervision.hpp"
#include "net/telemetry/metrics.hpp"
#include "net/wait.hpp"
#include "simulation/prom_text.hpp"

using namespace std::chrono_literals;
namespace msg = kvip::msg;

namespace {

/// RssAnon of this process in KiB (-1 when unreadable).
long rss_anon_kib() {
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);)
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

double sample(const std::string& text, const std::string& family, const std::string& kind = "") {
  for (const auto& s : kvip::sim::prom_samples(text, family))
    if (kind.empty() || kvip::sim::prom_label(s.labels, "kind") == kind) return s.value;
  return -1;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  kvip::net::telemetry::registry reg;
  caf::actor keeper;

  ~fixture() {
    if (keeper) {
      self->send_exit(keeper, caf::exit_reason::user_shutdown);
      self->wait_for(keeper);
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(memory_keeper_tests, fixture)

CAF_TEST(freed memory inside the heap is given back and the heap is reported) {
  constexpr std::size_t block = 4096;
  constexpr std::size_t blocks = 60 * 1024 * 1024 / block;
  std::vector<std::unique_ptr<char[]>> held;
  held.reserve(blocks);
  for (std::size_t i = 0; i < blocks; ++i) {
    held.emplace_back(new char[block]);
    for (std::size_t b = 0; b < block; b += 512)
      held.back()[b] = static_cast<char>(i); // touched: resident
  }
  for (std::size_t i = 0; i < blocks; ++i)
    if (i % 64 != 0) held[i].reset();
  auto before = rss_anon_kib();
  CAF_REQUIRE(before > 50 * 1024);

  kvip::memory_keeper_options o;
  o.node_name = "n1";
  o.period = 100ms;
  keeper = kvip::spawn_memory_keeper(self.ptr(), o, reg);
  CAF_CHECK(kvip::net::eventually([&] { return rss_anon_kib() < before - 40 * 1024; }, 10s));
  // The counter and gauges are set once malloc_trim returns (the RSS drops
  // while it runs).
  CAF_CHECK(kvip::net::eventually(
      [&] { return sample(reg.expose(), "kvip_heap_trimmed_total") >= 1; }, 10s));
  CAF_CHECK(kvip::net::eventually(
      [&] { return sample(reg.expose(), "kvip_heap_bytes", "in_use") > 0; }, 10s));
  CAF_CHECK(sample(reg.expose(), "kvip_heap_bytes", "free") >= 0);
  msg::dump_reply r;
  self->request(keeper, 5s, msg::dump_request{})
      .receive([&](msg::dump_reply& d) { r = std::move(d); }, [](caf::error&) {});
  CAF_CHECK_EQUAL(r.actor, "memory_keeper");
}

CAF_TEST_FIXTURE_SCOPE_END()
