#pragma once
// Version and build identity (set by CMake at configure time).

namespace kvip::net {

/// Semantic version of this kvip build.
extern const char* const version_string;
/// Source revision the binary was built from ("unknown" outside git).
extern const char* const build_revision;

} // namespace kvip::net
