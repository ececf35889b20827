#include "net/result.hpp"

#include <cstring>

namespace kvip::net {

std::string error::describe() const {
  if (code == 0) return message;
  return message + ": " + std::strerror(code);
}

} // namespace kvip::net
