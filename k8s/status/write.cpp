#include "k8s/status/write.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "k8s/client.hpp"
#include "k8s/resource.hpp"

namespace kvip::k8s::status {

namespace {

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : "; ") + p;
  return out;
}

/// Ends the write on an API error (`doing` names the call).
void ended_by(write_report& rep, const error& e, const std::string& doing,
              const std::vector<std::string>& landed) {
  rep.result = e.kind == error_kind::not_found ? outcome::gone : outcome::failed;
  rep.detail = doing + ": " + e.describe();
  if (!landed.empty()) rep.detail += " (after writing " + joined(landed) + ")";
}

/// Follows the steps from `obj` (as read). nullopt: a PUT met a conflict,
/// read again; otherwise the write is over and `rep` says how.
std::optional<outcome> follow(client& c, const wanted& want, boost::json::object obj,
                              write_report& rep, std::vector<std::string>& landed) {
  bool put_status = false, put_service = false; // each at most once per read
  for (;;) {
    auto s = next_step(want, obj);
    if (s.kind == step_kind::done) {
      rep.result = rep.writes > 0 ? outcome::written : outcome::unchanged;
      rep.detail = rep.writes > 0 ? joined(landed)
                                  : "already ingress " + describe_ingress(want) + ", vipHost " +
                                        (want.vip_host.empty() ? "none" : want.vip_host);
      return rep.result;
    }
    if (s.kind == step_kind::recreated) {
      rep.result = outcome::recreated;
      rep.detail = s.what;
      return rep.result;
    }
    bool& again = s.kind == step_kind::put_status ? put_status : put_service;
    if (again) { // the server answered a PUT with an object that still differs
      rep.result = outcome::failed;
      rep.detail = "the API server did not keep " + s.what;
      return rep.result;
    }
    again = true;
    auto r = s.kind == step_kind::put_status
                 ? c.update_status(resources::services, want.ns, std::move(s.body))
                 : c.update(resources::services, want.ns, std::move(s.body));
    if (r) {
      ++rep.writes;
      landed.push_back(s.what);
      obj = std::move(*r);
      continue;
    }
    if (r.err().kind == error_kind::conflict) {
      ++rep.conflicts;
      return std::nullopt;
    }
    ended_by(rep, r.err(), "writing " + s.what, landed);
    return rep.result;
  }
}

} // namespace

write_report write(client& c, const wanted& want, const write_options& opts) {
  write_report rep;
  std::vector<std::string> landed;
  int reads = std::max(1, opts.max_reads);
  for (int i = 0; i < reads; ++i) {
    ++rep.reads;
    auto got = c.get(resources::services, want.ns, want.name);
    if (!got) {
      ended_by(rep, got.err(), "reading the Service", landed);
      return rep;
    }
    if (opts.after_read) opts.after_read(*got);
    if (follow(c, want, std::move(*got), rep, landed)) return rep;
  }
  rep.result = outcome::failed;
  rep.detail = "conflicts after each of " + std::to_string(reads) + " reads";
  if (!landed.empty()) rep.detail += " (after writing " + joined(landed) + ")";
  return rep;
}

} // namespace kvip::k8s::status
