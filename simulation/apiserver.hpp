// The embedded Kubernetes API server (`kvip apiserver`): store + watch hub +
// HTTP(S) listener + discovery + fault-injection admin port + snapshots.
// Faithful enough for kubectl and our client for the served kinds (see
// /work/shared/reference/k8s-api-subset.md); fault API in faults.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "simulation/faults.hpp"
#include "simulation/store.hpp"

namespace kvip::sim {

/// How `kvip apiserver` is set up.
struct apiserver_options {
  std::string listen = "127.0.0.1:6443"; ///< API address; port 0 = ephemeral
  std::string admin_listen;              ///< fault-injection admin address; empty = none
  std::string tls_dir;                   ///< HTTPS with the material in this directory
  bool gen_certs = false;                ///< create the material in tls_dir when missing
  std::vector<std::string> extra_sans;   ///< extra server certificate SANs
  std::string snapshot;                  ///< load at start, save on change and at stop
  std::string kube_version = "1.31";     ///< what /version reports (picks kubectl's version)
  std::size_t history = 10000;           ///< events kept for watch resumption
  std::chrono::milliseconds bookmark_interval{60000};
  std::chrono::seconds default_watch_timeout{1800};
  unsigned threads = 4;
};

/// A running API server.
class apiserver {
public:
  /// Configures; nothing listens until start().
  explicit apiserver(apiserver_options opts);
  /// Stops (and saves the snapshot).
  ~apiserver();
  apiserver(const apiserver&) = delete;
  apiserver& operator=(const apiserver&) = delete;

  /// Loads the snapshot, bootstraps, generates/loads TLS material, opens the ports.
  /// Loads the snapshot, prepares TLS material and binds both ports.
  net::result<void> start();
  /// Closes the ports, ends every watch, saves the snapshot. Idempotent.
  void stop();

  /// "http(s)://host:port" of the API.
  std::string url() const;
  /// "http://host:port" of the admin port, or empty.
  std::string admin_url() const;
  /// Path of the written kubeconfig (TLS mode), or empty.
  std::string kubeconfig() const;
  /// The accepted bearer token (TLS mode), or empty.
  std::string token() const;
  /// The object store.
  store& objects();
  /// The fault switches.
  fault_state& faults();
  /// Applies an outage mode (closing/reopening the port for refuse).
  net::result<void> set_outage(outage_mode m);
  /// Writes the snapshot file now (nothing to do when none is configured).
  net::result<void> save_snapshot();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Runs an API server until SIGTERM or SIGINT, printing its URLs on stdout. Exit code.
int run_apiserver(const apiserver_options& opts);

} // namespace kvip::sim
