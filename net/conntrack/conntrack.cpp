#include "net/conntrack/conntrack.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <sys/socket.h>

namespace kvip::net::conntrack {

namespace {

struct handle_closer {
  void operator()(nfct_handle* h) const { nfct_close(h); }
};
struct ct_destroyer {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using handle = std::unique_ptr<nfct_handle, handle_closer>;
using entry = std::unique_ptr<nf_conntrack, ct_destroyer>;

result<handle> open_handle() {
  handle h{nfct_open(CONNTRACK, 0)};
  if (!h) return make_error("conntrack: opening ctnetlink", errno);
  return h;
}

bool destination_is(const nf_conntrack* ct, const ip_address& a) {
  if (a.is_v4()) {
    if (!nfct_attr_is_set(ct, ATTR_ORIG_IPV4_DST)) return false;
    auto dst = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST); // network order
    return std::memcmp(&dst, a.bytes.data(), 4) == 0;
  }
  if (!nfct_attr_is_set(ct, ATTR_ORIG_IPV6_DST)) return false;
  const void* dst = nfct_get_attr(ct, ATTR_ORIG_IPV6_DST);
  return dst && std::memcmp(dst, a.bytes.data(), 16) == 0;
}

struct dump_state {
  const ip_address* target = nullptr;
  std::vector<entry> matches;
};

int collect(enum nf_conntrack_msg_type, struct nf_conntrack* ct, void* data) {
  auto* st = static_cast<dump_state*>(data);
  if (destination_is(ct, *st->target)) st->matches.emplace_back(nfct_clone(ct));
  return NFCT_CB_CONTINUE;
}

/// Every entry of `a`'s family whose original destination is `a` (copies).
result<std::vector<entry>> matching(const ip_address& a) {
  auto h = open_handle();
  if (!h) return h.err();
  dump_state st;
  st.target = &a;
  if (nfct_callback_register(h->get(), NFCT_T_ALL, collect, &st) < 0)
    return make_error("conntrack: registering the dump callback", errno);
  std::uint32_t family = a.is_v4() ? AF_INET : AF_INET6;
  if (nfct_query(h->get(), NFCT_Q_DUMP, &family) < 0)
    return make_error("conntrack: dumping the table", errno);
  return std::move(st.matches);
}

} // namespace

result<std::size_t> count_destination(const ip_address& a) {
  auto m = matching(a);
  if (!m) return m.err();
  return m->size();
}

result<std::size_t> flush_destination(const ip_address& a) {
  auto m = matching(a);
  if (!m) return m.err();
  if (m->empty()) return std::size_t{0};
  auto h = open_handle();
  if (!h) return h.err();
  std::size_t deleted = 0;
  for (const auto& ct : *m) {
    if (nfct_query(h->get(), NFCT_Q_DESTROY, ct.get()) == 0) {
      ++deleted;
    } else if (errno != ENOENT) { // ENOENT: it ended meanwhile
      return make_error("conntrack: deleting an entry toward " + a.to_string(), errno);
    }
  }
  return deleted;
}

} // namespace kvip::net::conntrack
