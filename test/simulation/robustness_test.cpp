// Bad input never crashes: seeded random and mutated inputs for every parser
// that reads bytes from the outside (frames from the wire, watch lines from
// an API server, selectors and patches from API clients, configuration
// values from the environment). Each parser must return an error or a value;
// none may throw or crash. Deterministic seeds keep failures reproducible.
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "k8s/watch_event.hpp"
#include "net/config/config.hpp"
#include "net/l2/frames.hpp"
#include "simulation/patch.hpp"
#include "simulation/selector.hpp"

namespace {

std::string random_bytes(std::mt19937& rng, std::size_t max_len, const std::string& alphabet = {}) {
  std::uniform_int_distribution<std::size_t> len{0, max_len};
  std::string s(len(rng), '\0');
  for (auto& c : s) {
    if (alphabet.empty())
      c = static_cast<char>(rng() & 0xff);
    else
      c = alphabet[rng() % alphabet.size()];
  }
  return s;
}

/// Flips, inserts or deletes a few bytes of `s`.
std::string mutate(std::mt19937& rng, std::string s) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    auto pos = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 3) {
    case 0:
      if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
      break;
    case 1:
      s.insert(pos, 1, static_cast<char>(rng() & 0xff));
      break;
    default:
      if (!s.empty()) s.erase(pos, 1);
    }
  }
  return s;
}

TEST(Robustness, FramesFromTheWire) {
  std::mt19937 rng{1};
  const kvip::net::mac_address mac{2, 0, 0, 0, 0, 1};
  std::vector<kvip::net::l2::frame> seeds = {
      kvip::net::l2::build_garp(mac, *kvip::net::ip_address::parse("10.0.0.1"),
                                kvip::net::l2::garp_form::request),
      kvip::net::l2::build_unsolicited_na(mac, *kvip::net::ip_address::parse("fd00::1")),
      kvip::net::l2::build_neighbor_solicitation(mac, *kvip::net::ip_address::parse("fd00::2"),
                                                 *kvip::net::ip_address::parse("fd00::1")),
  };
  auto vip = *kvip::net::ip_address::parse("10.0.0.1");
  for (int i = 0; i < 100000; ++i) {
    std::string bytes = i % 2 ? random_bytes(rng, 128)
                              : mutate(rng, std::string(seeds[i % 3].begin(), seeds[i % 3].end()));
    kvip::net::l2::frame f(bytes.begin(), bytes.end());
    auto p = kvip::net::l2::parse_frame(f);
    // A parsed frame has a value; a dropped one has a reason and no value.
    ASSERT_EQ(p.reason == kvip::net::l2::drop_reason::none, p.arp.has_value() || p.nd.has_value());
    (void)kvip::net::l2::conflicting_claim(p, vip, mac);
  }
}

TEST(Robustness, WatchLinesFromAnApiServer) {
  std::mt19937 rng{2};
  const std::string good =
      R"({"type":"MODIFIED","object":{"kind":"Service","apiVersion":"v1","metadata":)"
      R"({"name":"web","namespace":"default","resourceVersion":"12"},"spec":{"ports":[{"port":80}]}}})";
  const std::string json_chars = "{}[]\":,0123456789abcdefghijklmnopqrstuvwxyzE.-+ \\nu";
  int ok = 0;
  for (int i = 0; i < 30000; ++i) {
    auto line = i % 3 == 0 ? random_bytes(rng, 200, json_chars) : mutate(rng, good);
    auto r = kvip::k8s::parse_watch_event(line);
    ok += r.ok();
  }
  EXPECT_GT(ok, 0); // some mutations stay valid: the parser is exercised on both paths
}

TEST(Robustness, SelectorsFromApiClients) {
  std::mt19937 rng{3};
  const std::string chars = "abcxyz019=!,() in notin/.-_ ";
  const std::vector<std::string> supported = {"metadata.name", "metadata.namespace", "spec.type"};
  boost::json::object labels{{"app", "web"}, {"tier", "x"}};
  boost::json::object obj{{"metadata", boost::json::object{{"name", "web"}}}};
  for (int i = 0; i < 50000; ++i) {
    auto text = random_bytes(rng, 40, chars);
    if (auto l = kvip::sim::label_selector::parse(text))
      (void)l->matches(labels);
    else
      EXPECT_FALSE(l.err().message.empty()) << text;
    if (auto f = kvip::sim::field_selector::parse(text, supported))
      (void)f->matches(obj);
    else
      EXPECT_FALSE(f.err().message.empty()) << text;
  }
}

TEST(Robustness, PatchesFromApiClients) {
  std::mt19937 rng{4};
  const std::string doc = R"({"metadata":{"name":"web","labels":{"a":"b"}},)"
                          R"("spec":{"ports":[{"port":80,"name":"http"}],"type":"ClusterIP"}})";
  const std::vector<std::string> patches = {
      R"({"metadata":{"labels":{"a":null,"c":"d"}},"spec":{"type":"LoadBalancer"}})",
      R"([{"op":"add","path":"/spec/ports/-","value":{"port":443}},{"op":"remove","path":"/metadata/labels/a"}])",
      R"({"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,"$patch":"delete"}]}})",
  };
  for (int i = 0; i < 20000; ++i) {
    auto text = mutate(rng, patches[static_cast<std::size_t>(i) % patches.size()]);
    boost::system::error_code ec;
    auto patch = boost::json::parse(text, ec);
    if (ec) continue; // not JSON: the server answers 400 before patching
    auto target = boost::json::parse(doc);
    switch (i % 3) {
    case 0:
      (void)kvip::sim::apply_merge_patch(target, patch);
      break;
    case 1:
      (void)kvip::sim::apply_json_patch(target, patch);
      break;
    default:
      (void)kvip::sim::apply_strategic_merge_patch(target, patch, "Service");
    }
  }
}

TEST(Robustness, ConfigurationValuesFromTheEnvironment) {
  std::mt19937 rng{5};
  const auto& knobs = kvip::net::config::knobs();
  const std::string chars = "0123456789abcdefxyz:/,.[]-_ sTtFf%";
  for (int i = 0; i < 3000; ++i) {
    kvip::net::config::sources src;
    src.hostname = "node";
    for (int k = 0; k < 6; ++k) {
      const auto& knob = knobs[rng() % knobs.size()];
      if (!knob.env.empty()) src.env[knob.env] = random_bytes(rng, 24, chars);
    }
    auto r = kvip::net::config::load(src);
    for (const auto& p : r.problems)
      EXPECT_FALSE(p.key.empty());
  }
}

} // namespace
