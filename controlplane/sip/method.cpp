#include "controlplane/sip/method.hpp"

#include <array>
#include <utility>

namespace sbc::sip {

namespace {
constexpr std::array<std::pair<std::string_view, Method>, 14> kMethods = {{
    {"INVITE", Method::Invite},
    {"ACK", Method::Ack},
    {"BYE", Method::Bye},
    {"CANCEL", Method::Cancel},
    {"OPTIONS", Method::Options},
    {"REGISTER", Method::Register},
    {"PRACK", Method::Prack},
    {"UPDATE", Method::Update},
    {"INFO", Method::Info},
    {"SUBSCRIBE", Method::Subscribe},
    {"NOTIFY", Method::Notify},
    {"REFER", Method::Refer},
    {"MESSAGE", Method::Message},
    {"PUBLISH", Method::Publish},
}};
}  // namespace

Method methodOf(std::string_view name) noexcept {
    for (const auto& [text, m] : kMethods) {
        if (text == name) {
            return m;
        }
    }
    return Method::Unknown;
}

std::string_view methodName(Method m) noexcept {
    for (const auto& [text, id] : kMethods) {
        if (id == m) {
            return text;
        }
    }
    return {};
}

}  // namespace sbc::sip
