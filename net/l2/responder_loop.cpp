#include "net/l2/responder_loop.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace kvip::net::l2 {

namespace {

/// How long a receive waits before looking at the stop flag again.
constexpr std::chrono::milliseconds receive_slice{100};

constexpr response_reason all_reasons[] = {
    response_reason::answered, response_reason::malformed, response_reason::not_a_request,
    response_reason::not_ours, response_reason::not_answering};

} // namespace

result<std::unique_ptr<responder_loop>> responder_loop::start(int ifindex, const mac_address& mac,
                                                              std::shared_ptr<answer_table> table) {
  if (!table) return make_error("responder: no answer table");
  auto sock = packet_socket::open(ifindex, true);
  if (!sock) return sock.err();
  return std::unique_ptr<responder_loop>{
      new responder_loop{std::move(*sock), mac, std::move(table)}};
}

responder_loop::responder_loop(std::unique_ptr<packet_socket> sock, const mac_address& mac,
                               std::shared_ptr<answer_table> table)
    : sock_(std::move(sock)), ifindex_(sock_->ifindex()), mac_(mac), table_(std::move(table)) {
  thread_ = std::thread([this] { loop(); });
}

responder_loop::~responder_loop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void responder_loop::loop() {
  std::string last_err;
  while (!stop_) {
    auto f = sock_->receive(receive_slice);
    if (!f) {
      // A broken socket (interface gone): say so once, keep the pace so the
      // stop flag is still honoured.
      auto err = f.err().describe();
      if (err != last_err) spdlog::warn("responder on ifindex {}: {}", ifindex_, err);
      last_err = err;
      std::this_thread::sleep_for(receive_slice);
      continue;
    }
    if (!*f) continue;
    auto now = std::chrono::steady_clock::now();
    if (auto seen = announcement_of(**f, mac_)) table_->observed(seen->address, seen->mac, now);
    auto r = respond(**f, mac_, *table_, now);
    // A VIP placed on another interface is answered there alone.
    if (r.reply && r.target && !table_->answers_on(*r.target, ifindex_)) {
      r.reason = response_reason::not_answering;
      r.reply.reset();
    }
    counts_[static_cast<std::size_t>(r.reason)]++;
    if (!r.reply) continue;
    if (auto s = sock_->send(*r.reply); !s) {
      ++send_errors_;
      spdlog::warn("responder: answering for {} on ifindex {}: {}",
                   r.target ? r.target->to_string() : "?", ifindex_, s.err().describe());
    }
  }
}

std::uint64_t responder_loop::count(response_reason r) const {
  return counts_[static_cast<std::size_t>(r)];
}

std::string responder_loop::describe() const {
  std::string out;
  for (auto r : all_reasons) {
    if (!out.empty()) out += ", ";
    out += std::string{to_string(r)} + " " + std::to_string(count(r));
  }
  return out + ", send errors " + std::to_string(send_errors_);
}

} // namespace kvip::net::l2
