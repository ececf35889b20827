#include "k8s/clock.hpp"

#include <condition_variable>
#include <mutex>

namespace kvip::k8s {

clock_hooks clock_hooks::system() {
  clock_hooks c;
  c.now = [] { return steady::now(); };
  c.sleep = [](steady::duration d, std::stop_token stop) {
    if (d <= steady::duration::zero()) return;
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
  };
  return c;
}

} // namespace kvip::k8s
