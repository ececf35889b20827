#include "net/version.hpp"

#ifndef KVIP_VERSION
#define KVIP_VERSION "0.0.0"
#endif
#ifndef KVIP_BUILD
#define KVIP_BUILD "unknown"
#endif

namespace kvip::version {

const char* const string = KVIP_VERSION;
const char* const build = KVIP_BUILD;

} // namespace kvip::version
