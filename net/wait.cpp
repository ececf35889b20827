#include "net/wait.hpp"

#include <thread>

namespace kvip::net {

bool eventually(const wait_predicate& pred, std::chrono::milliseconds budget,
                std::chrono::milliseconds step) {
  auto until = std::chrono::steady_clock::now() + budget;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

bool always(const wait_predicate& pred, std::chrono::milliseconds window,
            std::chrono::milliseconds step) {
  auto until = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < until) {
    if (!pred()) return false;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

} // namespace kvip::net
