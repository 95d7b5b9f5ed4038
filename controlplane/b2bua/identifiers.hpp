#pragma once
// Fresh identifiers for the legs sbc builds: Call-IDs, tags (RFC 3261 §19.3: at least 32 bits of
// randomness, globally unique) and branches (§8.1.1.7: magic cookie + unique per transaction).
//
// Threading: owned by the B2BUA, io_context thread.
#include <cstdint>
#include <random>
#include <string>

namespace sbc::b2bua {

class IdGenerator {
  public:
    IdGenerator();
    explicit IdGenerator(std::uint64_t seed) : rng_(seed) {}

    std::string tag();     // 16 hex digits
    std::string callId();  // 32 hex digits
    std::string branch();  // "z9hG4bK" + 20 hex digits
    std::uint64_t number() { return rng_(); }

  private:
    std::string hex(unsigned digits);
    std::mt19937_64 rng_;
};

}  // namespace sbc::b2bua
