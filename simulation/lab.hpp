#pragma once
// The network-namespace lab (DESIGN.md §5): a bridge, N node namespaces, a
// client namespace and optionally a router namespace, all on one L2 segment,
// with IPv4 and IPv6 addresses. The bridge's namespace ("infra") also holds
// an address on the bridge, where the embedded API server listens.
//
//   infra  kvl-<run>-br   br0 10.99.0.254/24  fd99::fe/64
//   node i kvl-<run>-n<i> eth0 10.99.0.<i>/24  fd99::<i>/64  MAC 02:99:00:00:00:<i>
//   client kvl-<run>-c    eth0 10.99.0.200/24  fd99::c8/64   MAC 02:99:00:00:00:c8
//   router kvl-<run>-r    eth0 10.99.0.253/24  fd99::fd/64   MAC 02:99:00:00:00:fd
//
// Every name carries the run id (the owning process id in hex), so parallel
// runs never collide; veth pairs are created directly inside their
// namespaces (nothing is named in the host namespace). The destructor kills
// every process started in the lab and deletes every namespace;
// cleanup_stale() removes what runs whose process has died left behind.

#include <memory>
#include <string>
#include <vector>

#include "net/ip.hpp"
#include "simulation/lab_process.hpp"

namespace kvip::sim {

/// One host of the lab.
struct lab_host {
  std::string name;   ///< "n1", "c", "r", "br"
  std::string netns;  ///< full namespace name
  std::string ifname; ///< "eth0" (or "br0" for infra)
  net::ip_address ipv4;
  net::ip_address ipv6;
  net::mac_address mac{};
};

struct lab_options {
  int nodes = 3;
  bool router = false;
};

class lab {
public:
  /// Builds the lab; on failure nothing is left behind.
  static net::result<std::unique_ptr<lab>> create(const lab_options& opts);
  ~lab();
  lab(const lab&) = delete;
  lab& operator=(const lab&) = delete;

  const std::string& run_id() const { return run_id_; }
  const std::vector<lab_host>& nodes() const { return nodes_; }
  const lab_host& client() const { return client_; }
  const lab_host& infra() const { return infra_; }
  const lab_host* router() const { return has_router_ ? &router_ : nullptr; }
  /// Every namespace of the lab.
  std::vector<std::string> namespaces() const;

  /// Runs a command inside a host's namespace to completion.
  net::result<void> exec(const lab_host& h, std::vector<std::string> argv) const;
  /// Runs a command inside a host's namespace and returns its output.
  command_result run(const lab_host& h, std::vector<std::string> argv) const;
  /// Starts a long-lived process inside a host's namespace; the lab kills it
  /// on teardown. Returns its index for proc().
  net::result<std::size_t> start(const lab_host& h, std::vector<std::string> argv,
                                 const std::map<std::string, std::string>& env,
                                 const std::string& log_path);
  process& proc(std::size_t index) { return procs_.at(index); }

  // -- faults -----------------------------------------------------------------
  /// Takes a host's link down (or up).
  net::result<void> set_link(const lab_host& h, bool up) const;
  /// Drops all traffic between `h` and `peer_ip` in both directions (nftables
  /// in h's namespace); `block` false removes the rule set again.
  net::result<void> isolate(const lab_host& h, const std::vector<net::ip_address>& peers,
                            bool block) const;

  /// Removes namespaces named kvl-<pid>-* whose process is gone. Returns how
  /// many were removed.
  static int cleanup_stale();

private:
  lab() = default;
  net::result<void> build(const lab_options& opts);
  net::result<void> add_host(lab_host& h);
  void teardown();

  std::string run_id_;
  lab_host infra_, client_, router_;
  bool has_router_ = false;
  std::vector<lab_host> nodes_;
  std::vector<std::string> created_; // namespaces in creation order
  std::vector<process> procs_;
};

} // namespace kvip::sim
