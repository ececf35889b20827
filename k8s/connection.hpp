// Where and how to reach the API server: the outcome of kubeconfig parsing or the
// in-cluster service-account files, consumed by the transport.
#pragma once

#include <string>

namespace kvip::k8s {

/// Everything needed to open authenticated connections to one API server.
struct connection_config {
  std::string server;                        ///< base URL, "https://10.0.0.1:6443" (no trailing /)
  std::string ca_file;                       ///< PEM file with the server CA ("" = none)
  std::string ca_pem;                        ///< PEM bytes of the server CA (wins over ca_file)
  bool insecure_skip_tls_verify = false;     ///< do not verify the server certificate
  std::string tls_server_name;               ///< kubeconfig tls-server-name (informational)
  std::string token;                         ///< bearer token ("" = none)
  std::string token_file;                    ///< bearer token file, re-read when it changes
  std::string client_cert_file;              ///< PEM client certificate file
  std::string client_cert_pem;               ///< PEM client certificate bytes (wins over file)
  std::string client_key_file;               ///< PEM client key file
  std::string client_key_pem;                ///< PEM client key bytes (wins over file)
  std::string default_namespace = "default"; ///< context namespace / in-cluster namespace
  std::string source;                        ///< where this came from, for logs
  std::string resolve; ///< curl "host:port:address" pin for the server's host ("" = resolver)
};

} // namespace kvip::k8s
