// libFuzzer target: call records as read back from the state directory (untrusted: a file may be
// truncated, corrupt or planted). Whatever decodes must encode and decode to the same record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "controlplane/b2bua/call_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    sbc::b2bua::DecodeResult r = sbc::b2bua::decode(text);
    if (!r.record) {
        if (r.error.empty()) {
            std::abort();  // a refusal always says why
        }
        return 0;
    }
    std::string once = sbc::b2bua::encode(*r.record);
    sbc::b2bua::DecodeResult again = sbc::b2bua::decode(once);
    if (!again.record || sbc::b2bua::encode(*again.record) != once) {
        std::abort();
    }
    return 0;
}
