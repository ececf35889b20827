#pragma once
// Whole-file reads and atomic writes, and trimming what was read: the one copy
// k8s/ (kubeconfig, service-account files, rotating tokens) and simulation/
// (certificates, snapshots) share.

#include <string>
#include <string_view>

#include "net/result.hpp"

namespace kvip::net {

/// The whole content of the file at `path`; the error names the path and the errno.
result<std::string> read_file(const std::string& path);

/// Writes `data` to `path` atomically: a temporary file beside it, renamed over it.
result<void> write_file(const std::string& path, std::string_view data);

/// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view s);

} // namespace kvip::net
