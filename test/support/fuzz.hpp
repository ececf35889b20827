#pragma once
// Seeded random and mutated inputs for robustness tests: bad input never
// crashes a parser that reads bytes from the outside. Each parser must return
// an error or a value; none may throw or crash. Deterministic seeds keep
// failures reproducible.

#include <random>
#include <string>

namespace kvip::test {

/// Up to `max_len` random bytes, or characters of `alphabet` when it is given.
inline std::string random_bytes(std::mt19937& rng, std::size_t max_len,
                                const std::string& alphabet = {}) {
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
inline std::string mutate(std::mt19937& rng, std::string s) {
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

} // namespace kvip::test
