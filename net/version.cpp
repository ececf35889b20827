#include "net/version.hpp"

#ifndef KVIP_VERSION
#define KVIP_VERSION "0.0.0"
#endif
#ifndef KVIP_BUILD
#define KVIP_BUILD "unknown"
#endif

namespace kvip::net {

const char* const version_string = KVIP_VERSION;
const char* const build_revision = KVIP_BUILD;

} // namespace kvip::net
