#pragma once
// Finding sibling actors by name. The node supervisor registers every child
// it starts under its child name (CAF's actor registry, names of at most 10
// characters) and removes it when the child goes down, so an actor that
// looks a sibling up at send time always reaches the current incarnation,
// also after the sibling was restarted.

#include <string_view>

#include "caf/actor.hpp"
#include "caf/actor_cast.hpp"
#include "caf/actor_registry.hpp"
#include "caf/actor_system.hpp"
#include "caf/atom.hpp"

namespace kvip {

/// The running actor registered as `name`, or an invalid handle.
inline caf::actor sibling(caf::actor_system& sys, std::string_view name) {
  return sys.registry().get<caf::actor>(caf::atom_from_string(name));
}

/// Registers `a` as `name` (replacing an earlier incarnation).
inline void register_sibling(caf::actor_system& sys, std::string_view name, const caf::actor& a) {
  // CAF's put() keeps an existing entry, so replace explicitly.
  sys.registry().erase(caf::atom_from_string(name));
  sys.registry().put(caf::atom_from_string(name), a);
}

/// Removes the registration of `name`.
inline void unregister_sibling(caf::actor_system& sys, std::string_view name) {
  sys.registry().erase(caf::atom_from_string(name));
}

} // namespace kvip
