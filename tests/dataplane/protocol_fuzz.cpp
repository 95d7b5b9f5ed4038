// Fuzz target: the control-channel decoder (untrusted bytes from any local process that can
// connect). Whatever decodes must re-encode to the same bytes (the format has one encoding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "api/dataplane_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto res = sbc::dpapi::decode({data, size});
    if (res.ok()) {
        auto again = sbc::dpapi::encode(res.envelope->message, res.envelope->seq);
        if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
            std::abort();
        }
    }
    return 0;
}
