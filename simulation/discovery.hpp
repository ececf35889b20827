// Discovery and OpenAPI documents (reference k8s-api-subset.md §1.1, §1.8,
// §1.9): /version, legacy and aggregated /api and /apis, APIResourceList per
// group-version, APIGroup, and the OpenAPI v3 stub kubectl's validation needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http/server.hpp"

namespace kvip::sim {

/// The Content-Type of an aggregated discovery answer.
inline constexpr std::string_view aggregated_discovery_type =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Answers the non-resource discovery paths (/version, /api, /apis, /api/v1, /apis/<g>[/<v>],
/// /openapi/v3[/...]); nullopt when `req.path` is none of them. `kube_version` is "1.31".
/// `server_address` ("127.0.0.1:6443") goes into APIVersions.
std::optional<net::http::response> discovery_response(const net::http::request& req,
                                                      const std::string& kube_version,
                                                      const std::string& server_address);

} // namespace kvip::sim
