#include "net/l2/host.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/l2/packet_socket.hpp"

namespace kvip::net::l2 {

namespace {

/// How long a receive waits before looking at the stop flag again.
constexpr std::chrono::milliseconds receive_slice{100};

/// A receive thread on one interface.
class kernel_listener final : public listener {
public:
  kernel_listener(std::unique_ptr<packet_socket> sock, frame_handler on_frame)
      : sock_(std::move(sock)), on_frame_(std::move(on_frame)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~kernel_listener() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  kernel_listener(const kernel_listener&) = delete;
  kernel_listener& operator=(const kernel_listener&) = delete;

private:
  void loop() {
    std::string last_err;
    while (!stop_) {
      std::string err;
      auto f = sock_->receive(receive_slice, err);
      if (f) {
        if (may_claim_address(parse_frame(*f))) on_frame_(sock_->ifindex(), std::move(*f));
        continue;
      }
      if (err.empty()) continue;
      // A broken socket (interface gone): say so once, then keep trying
      // at the same pace so the stop flag is still honoured.
      if (err != last_err) spdlog::warn("l2 listener on ifindex {}: {}", sock_->ifindex(), err);
      last_err = err;
      std::this_thread::sleep_for(receive_slice);
    }
  }

  std::unique_ptr<packet_socket> sock_;
  frame_handler on_frame_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class kernel_l2_host final : public host {
public:
  std::optional<netlink::link_info> link(const std::string& name, std::string& err) override {
    std::lock_guard lock{mutex_};
    if (!connect(err)) return std::nullopt;
    return nl_->link_by_name(name, err);
  }

  std::vector<netlink::addr_info> addresses(int ifindex, std::string& err) override {
    std::lock_guard lock{mutex_};
    if (!connect(err)) return {};
    return nl_->addresses(ifindex, err);
  }

  std::string add_vip(int ifindex, const ip_prefix& vip,
                      const netlink::vip_options& opts) override {
    std::lock_guard lock{mutex_};
    std::string err;
    if (!connect(err)) return "add " + vip.to_string() + ": " + err;
    return nl_->add_vip(ifindex, vip, opts);
  }

  std::string remove_address(int ifindex, const ip_prefix& a) override {
    std::lock_guard lock{mutex_};
    std::string err;
    if (!connect(err)) return "remove " + a.to_string() + ": " + err;
    return nl_->remove_address(ifindex, a);
  }

  std::string send(int ifindex, const frame& f) override {
    std::lock_guard lock{mutex_};
    auto& sock = senders_[ifindex];
    if (!sock) {
      std::string err;
      sock = packet_socket::open(ifindex, false, err);
      if (!sock) {
        senders_.erase(ifindex);
        return "send on ifindex " + std::to_string(ifindex) + ": " + err;
      }
    }
    auto err = sock->send(f);
    // The interface may have been recreated under the same index: open anew
    // next time rather than keep a socket that only fails.
    if (!err.empty()) senders_.erase(ifindex);
    return err;
  }

  std::unique_ptr<listener> listen(int ifindex, frame_handler on_frame, std::string& err) override {
    auto sock = packet_socket::open(ifindex, true, err);
    if (!sock) return nullptr;
    return std::make_unique<kernel_listener>(std::move(sock), std::move(on_frame));
  }

private:
  /// Opens the netlink socket on first use (and after a failed open).
  bool connect(std::string& err) {
    if (!nl_) nl_ = netlink::socket::open(err);
    return nl_ != nullptr;
  }

  std::mutex mutex_;
  std::unique_ptr<netlink::socket> nl_;
  std::map<int, std::unique_ptr<packet_socket>> senders_;
};

} // namespace

std::shared_ptr<host> make_kernel_host() {
  return std::make_shared<kernel_l2_host>();
}

bool may_claim_address(const parsed_frame& f) {
  return f.arp.has_value() || (f.nd.has_value() && f.nd->advertisement);
}

} // namespace kvip::net::l2
