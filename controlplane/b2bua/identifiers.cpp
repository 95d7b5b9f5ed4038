#include "controlplane/b2bua/identifiers.hpp"

namespace sbc::b2bua {

IdGenerator::IdGenerator() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    rng_.seed(seq);
}

std::string IdGenerator::hex(unsigned digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(digits);
    std::uint64_t v = 0;
    for (unsigned i = 0; i < digits; ++i) {
        if (i % 16 == 0) {
            v = rng_();
        }
        out.push_back(kDigits[v & 0xf]);
        v >>= 4;
    }
    return out;
}

std::string IdGenerator::tag() {
    return hex(16);
}

std::string IdGenerator::callId() {
    return hex(32);
}

std::string IdGenerator::branch() {
    return "z9hG4bK" + hex(20);
}

}  // namespace sbc::b2bua
