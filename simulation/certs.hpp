// TLS and credential material for the embedded API server: a CA, a server
// certificate (SAN 127.0.0.1, ::1, localhost and extra addresses), a client
// certificate (CN=admin, O=system:masters), a bearer token, and a kubeconfig
// plus in-cluster style files (ca.crt, token, namespace) for kubectl and our
// client. Generated with the openssl command-line tool.
//
// Directory layout: ca.crt ca.key server.crt server.key client.crt client.key
// token namespace kubeconfig
#pragma once

#include <string>
#include <vector>

#include "net/result.hpp"
#include "simulation/api_listener.hpp"

namespace kvip::sim {

/// Creates the certificates, keys and token in `dir` (created if missing) unless ca.crt is
/// already there. `extra_sans` are IPs or DNS names added to the server certificate.
net::result<void> generate_certs(const std::string& dir,
                                 const std::vector<std::string>& extra_sans);

/// Reads server.crt, server.key, ca.crt and token from `dir`.
net::result<void> load_tls_dir(const std::string& dir, tls_material& tls, std::string& token);

/// Writes `dir`/kubeconfig for `url`: context "kvip" (token) and "kvip-cert" (client cert),
/// current context "kvip".
net::result<void> write_kubeconfig(const std::string& dir, const std::string& url,
                                   const std::string& token);

} // namespace kvip::sim
