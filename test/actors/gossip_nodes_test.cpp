// The gossip actor's peers from the Node list (actors/gossip_nodes.cpp): real
// gossip actors on loopback addresses (127.0.0.1, .2, ...: one port, as on a
// cluster), fed the cluster key and Node lists as the node watcher would send
// them, observed through their metrics. A Node that leaves the list leaves
// the membership, so the ownership majority shrinks; a removed node that
// still runs is ignored; a Node that comes back joins again. Real time (the
// actors have I/O threads and timers); every wait is bounded.
#define CAF_SUITE gossip_nodes
#include "test/actors/gossip_lab.hpp"

using namespace kvip::test::gossip_lab;

CAF_TEST_FIXTURE_SCOPE(gossip_nodes_tests, fixture)

// Four Nodes, two of them never started: two of four is no majority, so
// nobody answers. Once one unstarted Node is deleted, two of three is, and
// one of the running nodes owns the VIP.
CAF_TEST(a deleted node leaves the membership and the majority) {
  CAF_REQUIRE(port != 0);
  start("n1");
  start("n2");
  for (const auto* n : {"n1", "n2"})
    list(n, {"n1", "n2", "n3", "n4"});
  CAF_CHECK(eventually([&] { return alive("n1", "n2") == 1 && alive("n2", "n1") == 1; }));
  CAF_CHECK(eventually([&] { return alive("n1", "n4") == 0 && alive("n2", "n4") == 0; }));
  CAF_CHECK(kvip::net::always([&] { return !answering("n1") && !answering("n2"); }, 1s));

  for (const auto* n : {"n1", "n2"})
    list(n, {"n1", "n2", "n3"});
  CAF_CHECK(eventually([&] { return answering("n1") != answering("n2"); }));
  for (const auto* n : {"n1", "n2"}) {
    CAF_CHECK_EQUAL(alive(n, "n4"), -1); // no series: not a member any more
    CAF_CHECK_EQUAL(alive(n, "n3"), 0);  // still a member, dead
  }
}

// The node watcher may send the Node list before it answers the key request,
// and sends it again only when a Node changes: a list that comes before the
// key is applied once the cluster starts (it was dropped, and the nodes never
// learnt each other nor became eligible: seen as a flaky
// integration_gossip_nodes in CI).
CAF_TEST(a node list that comes before the cluster key is applied when the key comes) {
  CAF_REQUIRE(port != 0);
  start("n1", false);
  start("n2", false);
  for (const auto* n : {"n1", "n2"})
    list(n, {"n1", "n2"});
  for (const auto* n : {"n1", "n2"})
    send_key(n);
  CAF_CHECK(eventually([&] { return alive("n1", "n2") == 1 && alive("n2", "n1") == 1; }));
  CAF_CHECK(eventually([&] { return answering("n1") != answering("n2"); }));
}

// Three running nodes; the owner's Node is deleted while its process runs on:
// the others ignore it (its frames are dropped, it is not learnt again from
// them) and one of them takes the VIP over. Its Node back, it joins again.
CAF_TEST(a removed node that still runs is ignored until its node returns) {
  CAF_REQUIRE(port != 0);
  const std::vector<std::string> all{"n1", "n2", "n3"};
  for (const auto& n : all)
    start(n);
  for (const auto& n : all)
    list(n, all);
  std::string owner;
  CAF_CHECK(eventually([&] {
    int answering_nodes = 0;
    for (const auto& n : all)
      if (answering(n)) owner = n, ++answering_nodes;
    return answering_nodes == 1;
  }));
  CAF_REQUIRE(!owner.empty());
  std::vector<std::string> rest, listed;
  for (const auto& n : all)
    if (n != owner) rest.push_back(n);
  listed = rest;
  for (const auto& n : rest)
    list(n, listed);

  CAF_CHECK(eventually([&] {
    return alive(rest[0], owner) == -1 && alive(rest[1], owner) == -1 &&
           forgotten_frames(rest[0]) > 0 && forgotten_frames(rest[1]) > 0;
  }));
  CAF_CHECK(eventually([&] { return answering(rest[0]) != answering(rest[1]); }));
  CAF_CHECK(kvip::net::always(
      [&] { return alive(rest[0], owner) == -1 && alive(rest[1], owner) == -1; }, 500ms));

  for (const auto& n : rest)
    list(n, all);
  CAF_CHECK(eventually([&] { return alive(rest[0], owner) == 1 && alive(rest[1], owner) == 1; }));
  CAF_CHECK(eventually([&] { return alive(owner, rest[0]) == 1 && alive(owner, rest[1]) == 1; }));
}

// An actor that ends without the orderly shutdown (an exit message, as when
// it fails) stops its I/O thread itself: the process goes on (a joinable
// thread destroyed with the state would have called std::terminate).
CAF_TEST(a gossip actor killed without a shutdown request stops its io thread) {
  CAF_REQUIRE(port != 0);
  start("n1");
  list("n1", {"n1", "n2"});
  CAF_CHECK(eventually([&] { return alive("n1", "n2") == 0; })); // running, I/O thread up
  auto a = nodes.at("n1");
  nodes.erase("n1");
  self->send_exit(a, caf::exit_reason::kill);
  self->wait_for(a);
  CAF_CHECK(true); // still here
}

CAF_TEST_FIXTURE_SCOPE_END()
