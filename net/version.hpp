#pragma once
// Version and build identity (set by CMake at configure time).

namespace kvip::version {

/// Semantic version of this kvip build.
extern const char* const string;
/// Source revision the binary was built from ("unknown" outside git).
extern const char* const build;

} // namespace kvip::version
