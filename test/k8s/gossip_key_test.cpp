// Where the gossip key comes from (k8s/gossip_key): key material formats, the
// key file's checks (empty, permissions, not a file), and the Secret
// kvip-gossip-key against the embedded API server: created when missing,
// reused when present, one key for racing creators, malformed Secrets refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "k8s/base64.hpp"
#include "k8s/client.hpp"
#include "k8s/gossip_key.hpp"
#include "k8s/objects.hpp"
#include "k8s/resource.hpp"
#include "simulation/apiserver.hpp"
#include "temp_dir.hpp"
#include "test/support/temp_file.hpp"

namespace kvip::k8s {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string raw32 = "0123456789abcdef0123456789ABCDE\n"; // 32 bytes, the last a newline
const std::string hex64(64, 'a');

TEST(GossipKeyMaterial, AcceptsRawAndHexWithOneTrailingNewline) {
  struct row {
    std::string text;
    std::string want;
  };
  std::string aa(32, '\xaa');
  std::vector<row> rows = {
      {raw32, raw32}, // exactly 32 bytes: raw, even ending in '\n'
      {std::string(32, 'k') + "\n", std::string(32, 'k')}, // 32 raw + newline
      {hex64, aa},
      {hex64 + "\n", aa},
      {hex64 + "\r\n", aa},
      {std::string(64, 'A'), aa},
  };
  for (auto& r : rows) {
    auto k = parse_key_material(r.text, "test");
    ASSERT_TRUE(k.ok()) << r.text << ": " << k.err().describe();
    EXPECT_EQ(*k, r.want);
  }
}

TEST(GossipKeyMaterial, RefusesOtherLengthsAndBadHex) {
  for (std::string bad : {std::string{}, std::string(31, 'k'), std::string(33, 'k') + "\n",
                          std::string(63, 'a') + "g", hex64 + "\n\n", std::string(16, 'x')}) {
    auto k = parse_key_material(bad, "the source");
    ASSERT_FALSE(k.ok()) << bad;
    EXPECT_NE(k.err().message.find("the source"), std::string::npos) << k.err().message;
    EXPECT_NE(k.err().message.find("expected 32 raw bytes or 64 hex digits"), std::string::npos);
  }
}

std::string with_mode(const test::temp_file& f, fs::perms p) {
  fs::permissions(f.path(), p, fs::perm_options::replace);
  return f.path();
}

TEST(GossipKeyFile, ReadsAPrivateFile) {
  test::temp_file f{hex64 + "\n", ".key"};
  auto k = load_key_file(with_mode(f, fs::perms::owner_read | fs::perms::owner_write));
  ASSERT_TRUE(k.ok()) << k.err().describe();
  EXPECT_EQ(*k, std::string(32, '\xaa'));
  // Owner read-only (a Secret volume with defaultMode 0400) is fine too.
  k = load_key_file(with_mode(f, fs::perms::owner_read));
  EXPECT_TRUE(k.ok());
}

TEST(GossipKeyFile, RefusesGroupOrOtherAccessNamingPathAndMode) {
  test::temp_file f{hex64, ".key"};
  struct row {
    fs::perms p;
    const char* mode;
  };
  using enum fs::perms;
  for (auto r : {row{owner_read | owner_write | group_read | others_read, "0644"},
                 row{owner_read | group_read, "0440"}, row{owner_read | others_read, "0404"},
                 row{owner_read | group_write, "0420"}}) {
    auto k = load_key_file(with_mode(f, r.p));
    ASSERT_FALSE(k.ok()) << r.mode;
    EXPECT_EQ(k.err().kind, error_kind::config);
    EXPECT_NE(k.err().message.find(f.path()), std::string::npos) << k.err().message;
    EXPECT_NE(k.err().message.find(std::string{"mode "} + r.mode), std::string::npos)
        << k.err().message;
  }
}

TEST(GossipKeyFile, RefusesEmptyMissingDirectoryAndGarbage) {
  test::temp_file empty{"", ".key"};
  auto k = load_key_file(with_mode(empty, fs::perms::owner_read));
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.err().message.find("empty"), std::string::npos) << k.err().message;
  EXPECT_NE(k.err().message.find(empty.path()), std::string::npos);

  k = load_key_file("/nonexistent/kvip/key");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.err().message.find("/nonexistent/kvip/key"), std::string::npos);

  test_support::temp_dir dir;
  fs::permissions(dir.path, fs::perms::owner_all, fs::perm_options::replace);
  k = load_key_file(dir.str());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.err().message.find("not a regular file"), std::string::npos) << k.err().message;

  test::temp_file garbage{"not a key\n", ".key"};
  k = load_key_file(with_mode(garbage, fs::perms::owner_read));
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.err().message.find(garbage.path()), std::string::npos) << k.err().message;
}

TEST(GossipKeyRandom, ThirtyTwoBytesThatDiffer) {
  auto a = random_key(), b = random_key();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), gossip_key_size);
  EXPECT_NE(*a, *b);
}

struct GossipKeySecret : ::testing::Test {
  std::unique_ptr<sim::apiserver> api;
  std::unique_ptr<client> c;

  void SetUp() override {
    sim::apiserver_options o;
    o.listen = "127.0.0.1:0";
    api = std::make_unique<sim::apiserver>(o);
    auto started = api->start();
    ASSERT_TRUE(started.ok()) << started.err().describe();
    c = make_client();
  }
  std::unique_ptr<client> make_client() {
    connection_config cfg;
    cfg.server = api->url();
    client_options o;
    o.request_timeout = 5000ms;
    o.retry_backoff = 10ms;
    o.qps = 0;
    return std::make_unique<client>(cfg, o);
  }
  void put_secret(const json::object& data) {
    json::object s{{"metadata", {{"name", gossip_key_secret}}}, {"data", data}};
    auto r = c->create(resources::secrets, "kube-system", s);
    ASSERT_TRUE(r.ok()) << r.err().describe();
  }
};

TEST_F(GossipKeySecret, MissingIsCreatedWithLabelAndRandomKey) {
  auto k = load_or_create_key_secret(*c, "kube-system");
  ASSERT_TRUE(k.ok()) << k.err().describe();
  EXPECT_EQ(k->size(), gossip_key_size);
  auto got = c->get(resources::secrets, "kube-system", gossip_key_secret);
  ASSERT_TRUE(got.ok()) << got.err().describe();
  secret s{*got};
  EXPECT_EQ(s.value("key"), *k);
  EXPECT_EQ(s.label("app.kubernetes.io/name"), "kvip");
  EXPECT_EQ(s.type(), "Opaque");
  // The next caller reads the same key.
  auto again = load_or_create_key_secret(*c, "kube-system");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *k);
}

TEST_F(GossipKeySecret, ExistingIsReused) {
  put_secret({{"key", base64_encode(hex64 + "\n")}}); // kubectl --from-file of a hex key
  auto k = load_or_create_key_secret(*c, "kube-system");
  ASSERT_TRUE(k.ok()) << k.err().describe();
  EXPECT_EQ(*k, std::string(32, '\xaa'));
}

TEST_F(GossipKeySecret, ConcurrentCreatorsAgreeOnOneKey) {
  // 100 ms per request: every node's GET sees no Secret before any create lands, so
  // all but one create get 409 AlreadyExists and must read the winner's key.
  api->faults().latency_ms = 100;
  constexpr int nodes = 6;
  std::vector<result<std::string>> keys(nodes, make_error(error_kind::cancelled, "not run"));
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < nodes; ++i)
    clients.push_back(make_client());
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < nodes; ++i)
      threads.emplace_back(
          [&, i] { keys[i] = load_or_create_key_secret(*clients[i], "kube-system"); });
  }
  api->faults().latency_ms = 0;
  auto stored = c->get(resources::secrets, "kube-system", gossip_key_secret);
  ASSERT_TRUE(stored.ok()) << stored.err().describe();
  auto want = secret{*stored}.value("key");
  ASSERT_TRUE(want.has_value());
  for (int i = 0; i < nodes; ++i) {
    ASSERT_TRUE(keys[i].ok()) << i << ": " << keys[i].err().describe();
    EXPECT_EQ(*keys[i], *want) << "node " << i;
  }
}

TEST_F(GossipKeySecret, MalformedSecretIsAnErrorNamingIt) {
  struct row {
    json::object data;
    const char* says;
  };
  std::vector<row> rows = {
      {{{"other", base64_encode("x")}}, "has no data.key"},
      {{{"key", ""}}, "data.key is empty"},
      {{{"key", base64_encode("short")}}, "5 bytes are not a key"},
  };
  for (auto& r : rows) {
    put_secret(r.data);
    auto k = load_or_create_key_secret(*c, "kube-system");
    ASSERT_FALSE(k.ok()) << r.says;
    EXPECT_EQ(k.err().kind, error_kind::invalid);
    EXPECT_NE(k.err().message.find("Secret kube-system/kvip-gossip-key"), std::string::npos)
        << k.err().message;
    EXPECT_NE(k.err().message.find(r.says), std::string::npos) << k.err().message;
    ASSERT_TRUE(c->remove(resources::secrets, "kube-system", gossip_key_secret).ok());
  }
}

TEST_F(GossipKeySecret, MissingNamespaceIsAnErrorNamingTheSecret) {
  auto k = load_or_create_key_secret(*c, "no-such-ns");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.err().message.find("create Secret no-such-ns/kvip-gossip-key"), std::string::npos)
      << k.err().message;
}

} // namespace
} // namespace kvip::k8s
