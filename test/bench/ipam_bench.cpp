// Benchmark: the address allocator (k8s/ipam) at scale (issue 10, "Address pools").
//
// For each pool (an IPv4 /16 ascending and descending, an IPv6 /64, and one
// global /16 plus a /20 per namespace), allocates `services` Services round
// robin over `namespaces` namespaces, then rebuilds an allocator from what they
// hold (a restart) and allocates `services` more. Prints the time per phase and
// per allocation, and checks every address is handed out once.
//
// usage: ipam_bench [services=1000] [namespaces=10]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "k8s/ipam/allocator.hpp"

namespace ipam = kvip::k8s::ipam;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

/// Allocates `n` Services named <prefix><i>; false on a failure or a duplicate.
bool allocate(ipam::allocator& a, int n, int namespaces, const std::string& prefix,
              std::set<kvip::net::ip_address>& seen, std::vector<ipam::holding>& held) {
  for (int i = 0; i < n; ++i) {
    ipam::request r{
        {"ns" + std::to_string(i % namespaces), prefix + std::to_string(i)}, {}, {}, {}};
    auto got = a.allocate(r);
    if (!got) {
      std::printf("  allocation failed: %s\n", got.err().message.c_str());
      return false;
    }
    for (auto& addr : got->addresses) {
      if (!seen.insert(addr).second) {
        std::printf("  duplicate: %s\n", addr.to_string().c_str());
        return false;
      }
    }
    held.push_back({r.service, got->addresses, {}});
  }
  return true;
}

bool run(const char* label, const std::map<std::string, std::string>& data, int n, int namespaces) {
  auto config = ipam::parse_pool_config(data);
  std::set<kvip::net::ip_address> seen;
  std::vector<ipam::holding> held;
  ipam::allocator first{config};
  auto t0 = clock_type::now();
  if (!allocate(first, n, namespaces, "svc", seen, held)) return false;
  double fresh = ms_since(t0);
  auto t1 = clock_type::now();
  ipam::allocator rebuilt{config};
  for (auto& h : held)
    rebuilt.observe(h);
  double observe = ms_since(t1);
  auto t2 = clock_type::now();
  if (!allocate(rebuilt, n, namespaces, "late", seen, held)) return false;
  double after = ms_since(t2);
  std::printf("%-28s %6d allocations %8.2f ms (%6.2f us each) | rebuild from %d: %7.2f ms | "
              "%d more: %8.2f ms (%6.2f us each)\n",
              label, n, fresh, 1000 * fresh / n, n, observe, n, after, 1000 * after / n);
  return true;
}

} // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  int namespaces = argc > 2 ? std::atoi(argv[2]) : 10;
  if (n <= 0 || namespaces <= 0) {
    std::fprintf(stderr, "usage: ipam_bench [services=1000] [namespaces=10]\n");
    return 2;
  }
  std::map<std::string, std::string> per_ns{{"cidr-global", "10.0.0.0/16"}};
  for (int i = 0; i < namespaces / 2; ++i) // half the namespaces have a /20 of their own
    per_ns["cidr-ns" + std::to_string(i)] = "10.1." + std::to_string((i % 16) * 16) + ".0/20";
  bool ok = run("IPv4 /16 ascending", {{"cidr-global", "10.0.0.0/16"}}, n, namespaces) &&
            run("IPv4 /16 descending", {{"cidr-global", "10.0.0.0/16"}, {"search-order", "desc"}},
                n, namespaces) &&
            run("IPv6 /64 ascending", {{"cidr-global", "fd00::/64"}}, n, namespaces) &&
            run("IPv4 /16 + namespace /20s", per_ns, n, namespaces);
  return ok ? 0 : 1;
}
