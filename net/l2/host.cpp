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
      auto f = sock_->receive(receive_slice);
      if (f) {
        if (*f && may_claim_address(parse_frame(**f))) on_frame_(sock_->ifindex(), std::move(**f));
        continue;
      }
      // A broken socket (interface gone): say so once, then keep trying
      // at the same pace so the stop flag is still honoured.
      auto err = f.err().describe();
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
  result<netlink::link_info> link(const std::string& name) override {
    std::lock_guard lock{mutex_};
    if (auto c = connect(); !c) return c.err();
    return nl_->link_by_name(name);
  }

  result<std::vector<netlink::addr_info>> addresses(int ifindex) override {
    std::lock_guard lock{mutex_};
    if (auto c = connect(); !c) return c.err();
    return nl_->addresses(ifindex);
  }

  result<void> add_vip(int ifindex, const ip_prefix& vip,
                       const netlink::vip_options& opts) override {
    std::lock_guard lock{mutex_};
    if (auto c = connect(); !c) return prefixed("add " + vip.to_string(), c.err());
    return nl_->add_vip(ifindex, vip, opts);
  }

  result<void> remove_address(int ifindex, const ip_prefix& a) override {
    std::lock_guard lock{mutex_};
    if (auto c = connect(); !c) return prefixed("remove " + a.to_string(), c.err());
    return nl_->remove_address(ifindex, a);
  }

  result<void> send(int ifindex, const frame& f) override {
    std::lock_guard lock{mutex_};
    auto& sock = senders_[ifindex];
    if (!sock) {
      auto opened = packet_socket::open(ifindex, false);
      if (!opened) {
        senders_.erase(ifindex);
        return prefixed("send on ifindex " + std::to_string(ifindex), opened.err());
      }
      sock = std::move(*opened);
    }
    auto sent = sock->send(f);
    // The interface may have been recreated under the same index: open anew
    // next time rather than keep a socket that only fails.
    if (!sent) senders_.erase(ifindex);
    return sent;
  }

  result<std::unique_ptr<listener>> listen(int ifindex, frame_handler on_frame) override {
    auto sock = packet_socket::open(ifindex, true);
    if (!sock) return sock.err();
    return std::unique_ptr<listener>{
        std::make_unique<kernel_listener>(std::move(*sock), std::move(on_frame))};
  }

private:
  /// Opens the netlink socket on first use (and after a failed open).
  result<void> connect() {
    if (nl_) return ok();
    auto s = netlink::socket::open();
    if (!s) return s.err();
    nl_ = std::move(*s);
    return ok();
  }

  /// `e` with `what` in front of its message.
  static error prefixed(const std::string& what, error e) {
    e.message = what + ": " + e.message;
    return e;
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
