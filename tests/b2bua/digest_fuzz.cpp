// libFuzzer target: WWW-Authenticate / Proxy-Authenticate challenges from trunks (untrusted).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controlplane/b2bua/digest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto c = sbc::b2bua::parseDigestChallenge(text)) {
        (void)sbc::b2bua::digestAuthorization(*c, {"u", "p"}, "INVITE", "sip:a@b", "cn");
    }
    std::string_view several[] = {text, text.substr(size / 2)};
    (void)sbc::b2bua::chooseChallenge(several);
    return 0;
}
