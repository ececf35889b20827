// Standard base64 (RFC 4648, with padding) for kubeconfig *-data fields and
// Secret values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kvip::k8s {

/// Encodes bytes as padded base64.
std::string base64_encode(std::string_view bytes);
/// Decodes padded or unpadded base64; whitespace is skipped; nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace kvip::k8s
