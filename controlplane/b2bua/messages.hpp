#pragma once
// Helpers for the messages the B2BUA builds (messages.cpp).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "controlplane/b2bua/call.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/transaction/types.hpp"

namespace sbc::b2bua {

// "UDP", "TCP", "TLS" (Via sent-protocol, RFC 3261 §18).
std::string_view viaTransport(policy::Transport t) noexcept;
// "192.0.2.1:5060" or "[2001:db8::1]:5060".
std::string hostPort(std::string_view address, std::uint16_t port);
// sbc's Contact on a listener: "<sip:host:port[;transport=tcp|tls]>".
std::string contactOf(const SideListener& l);
// What responses to `req` repeat, with received/rport of `source` on the top Via.
std::shared_ptr<ResponseBase> responseBaseOf(const sip::Message& req,
                                             const transaction::Target& source);

}  // namespace sbc::b2bua
