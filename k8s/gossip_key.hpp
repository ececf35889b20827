// Where the cluster's gossip key comes from (issue 9, README "The cluster key"):
// `kvip_gossip_key_file` when set, else the Secret `kvip-gossip-key` in
// cp_namespace, created by the first node that finds none.
//
// Key material, in a file or in the Secret's data.key, is 32 raw bytes or 64 hex
// digits; one trailing newline ("\n" or "\r\n") is ignored. Every loader returns
// the 32 raw bytes. The key is never logged: errors name the file or Secret, its
// mode or length, never a byte of the key.
//
// File permissions: a key file that gives group or other users any access
// (mode & 077, like ssh's private keys) is an error, not a warning. Whoever
// reads the key can forge gossip and take VIPs; a warning in a log is easy to
// miss. A Secret mounted as a volume therefore needs `defaultMode: 0400`
// (Kubernetes' default is 0644).
#pragma once

#include <string>
#include <string_view>

#include "k8s/result.hpp"

namespace kvip::k8s {

class client;

/// Name of the cluster key Secret, and the data key holding the key.
inline constexpr const char* gossip_key_secret = "kvip-gossip-key";
inline constexpr const char* gossip_key_data_key = "key";
/// Raw key length in bytes.
inline constexpr std::size_t gossip_key_size = 32;

/// Decodes key material (32 raw bytes or 64 hex digits, one trailing newline ignored).
/// `what` names the source in the error ("/etc/kvip/key", "Secret kube-system/…").
result<std::string> parse_key_material(std::string_view text, const std::string& what);

/// Reads the key file at `path`. Errors (kind `config`): missing or unreadable, not a
/// regular file, empty, mode giving group/other access (the error names path and
/// mode), or content that is not key material.
result<std::string> load_key_file(const std::string& path);

/// `gossip_key_size` bytes from the kernel's CSPRNG (getrandom); an error if it fails.
result<std::string> random_key();

/// The cluster key from the Secret `kvip-gossip-key` in `ns`: GET it; when it is
/// missing, create it (32 random bytes in data.key, label
/// app.kubernetes.io/name=kvip); a create answered 409 AlreadyExists means another
/// node won the race, so GET again and use the winner's key. A Secret without
/// data.key, with an empty or malformed key is an error naming the Secret
/// (kind `invalid`); API errors are returned as the client classified them, with
/// the Secret (and for 401/403 the RBAC kvip needs) named in the message.
result<std::string> load_or_create_key_secret(client& c, const std::string& ns);

} // namespace kvip::k8s
