#pragma once
// Which headers of one leg may appear on the other (topology hiding, DESIGN.md "b2bua/").
//
// The B2BUA writes every header that carries dialog, transaction or routing state itself (Via,
// From, To, Call-ID, CSeq, Contact, Route, Record-Route, Max-Forwards, Content-*, RSeq, RAck,
// Require, Supported, Session-Expires, Min-SE, authentication) and its own Server/User-Agent.
// Of the rest, only the names the receiving trunk allows cross, minus its strip list.
#include <string>
#include <string_view>

#include "controlplane/policy/model.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/sip/name_addr.hpp"
#include "controlplane/sip/serializer.hpp"

namespace sbc::b2bua {

// True for headers the B2BUA always builds itself and never copies.
bool isOwnHeader(const sip::Header& h) noexcept;

// True when header `h` of a message from one leg may be copied to a message sent to a trunk
// with these rules.
bool mayCross(const sip::Header& h, const policy::HeaderRules& rules) noexcept;

// Appends every header of `from` that may cross, in order.
void copyAllowed(const sip::Message& from, const policy::HeaderRules& rules,
                 sip::MessageWriter& out);

// The name-addr without its tag parameter (dialog URIs, RFC 3261 §12.1.1).
std::string withoutTag(const sip::NameAddr& na);

// True when a Supported or Require header of `m` lists option tag `option` (RFC 3261 §20.37).
bool listsOption(const sip::Message& m, sip::HeaderId id, std::string_view option);

}  // namespace sbc::b2bua
