#pragma once
// Bounded waiting on the real world, for tests and the simulation lab: the one
// place that polls a condition against a wall-clock budget. A fixed sleep says
// "this is probably long enough"; these say what must hold and for how long.
//
//   eventually(pred, budget): true as soon as pred() holds; false if it still
//     does not hold when `budget` has passed (pred is checked once more at the end).
//   always(pred, window): true if pred() holds at every check for all of `window`;
//     false at the first check where it does not.
//
// Both check every `step` (default 10 ms) on the steady clock.

#include <chrono>
#include <functional>

namespace kvip::net {

using wait_predicate = std::function<bool()>;

inline constexpr std::chrono::milliseconds default_wait_step{10};

/// True once `pred` holds, false if it does not within `budget`.
bool eventually(const wait_predicate& pred, std::chrono::milliseconds budget,
                std::chrono::milliseconds step = default_wait_step);

/// True if `pred` holds throughout `window`, false at the first time it does not.
bool always(const wait_predicate& pred, std::chrono::milliseconds window,
            std::chrono::milliseconds step = default_wait_step);

} // namespace kvip::net
