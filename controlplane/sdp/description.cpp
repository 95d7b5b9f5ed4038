// Typed accessors and rewrite helpers of MediaDescription and SessionDescription.
#include <algorithm>
#include <string>

#include "controlplane/sdp/sdp.hpp"

namespace sbc::sdp {
namespace {

// RFC 8866 §6.7: at most one direction attribute per section; the first one wins if a peer sends
// several.
std::optional<Direction> findDirection(const AttributeList& attrs) noexcept {
    for (const auto& a : attrs) {
        if (auto d = directionFromString(a.name)) {
            return d;
        }
    }
    return std::nullopt;
}

// Rewrites the first direction attribute in place (keeping its position) and drops the others;
// appends one if there is none.
void replaceDirection(AttributeList& attrs, Direction d) {
    AttributeList rebuilt;
    bool placed = false;
    for (const auto& a : attrs) {
        if (!directionFromString(a.name)) {
            rebuilt.add(a.name, a.value);
        } else if (!placed) {
            rebuilt.add(std::string(toString(d)));
            placed = true;
        }
    }
    if (!placed) {
        rebuilt.add(std::string(toString(d)));
    }
    attrs = std::move(rebuilt);
}

template <typename T, typename Parse>
std::vector<T> collect(const AttributeList& attrs, std::string_view name, Parse parseFn) {
    std::vector<T> out;
    for (const auto& a : attrs) {
        if (a.name == name && a.value) {
            if (auto v = parseFn(*a.value)) {
                out.push_back(std::move(*v));
            }
        }
    }
    return out;
}

}  // namespace

// ---- MediaDescription ---------------------------------------------------------------------------

void MediaDescription::reject() noexcept {
    port = 0;
    portCount.reset();
}

void MediaDescription::setPort(std::uint16_t newPort) noexcept {
    port = newPort;
}

bool MediaDescription::setConnectionAddress(std::string_view ip) {
    auto c = Connection::fromAddress(ip);
    if (!c) {
        return false;
    }
    connections.assign(1, std::move(*c));
    return true;
}

bool MediaDescription::isRtp() const noexcept {
    std::size_t start = 0;
    while (start <= proto.size()) {
        std::size_t slash = proto.find('/', start);
        std::size_t end = slash == std::string::npos ? proto.size() : slash;
        if (std::string_view(proto).substr(start, end - start) == "RTP") {
            return true;
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return false;
}

std::vector<RtpMap> MediaDescription::rtpMaps() const {
    return collect<RtpMap>(attributes, "rtpmap", RtpMap::parse);
}

std::optional<RtpMap> MediaDescription::rtpMap(unsigned payloadType) const {
    for (const auto& a : attributes) {
        if (a.name == "rtpmap" && a.value) {
            auto r = RtpMap::parse(*a.value);
            if (r && r->payloadType == payloadType) {
                return r;
            }
        }
    }
    return std::nullopt;
}

std::optional<Fmtp> MediaDescription::fmtp(std::string_view format) const {
    for (const auto& a : attributes) {
        if (a.name == "fmtp" && a.value) {
            auto f = Fmtp::parse(*a.value);
            if (f && f->format == format) {
                return f;
            }
        }
    }
    return std::nullopt;
}

std::optional<Fmtp> MediaDescription::fmtp(unsigned payloadType) const {
    return fmtp(std::to_string(payloadType));
}

std::optional<Direction> MediaDescription::direction() const noexcept {
    return findDirection(attributes);
}

void MediaDescription::setDirection(Direction d) {
    replaceDirection(attributes, d);
}

std::optional<Rtcp> MediaDescription::rtcp() const {
    const Attribute* a = attributes.find("rtcp");
    if (a == nullptr || !a->value) {
        return std::nullopt;
    }
    return Rtcp::parse(*a->value);
}

void MediaDescription::setRtcp(const Rtcp& r) {
    attributes.set("rtcp", r.toString());
}

bool MediaDescription::hasRtcpMux() const noexcept {
    return attributes.has("rtcp-mux");
}

std::vector<Crypto> MediaDescription::cryptos() const {
    return collect<Crypto>(attributes, "crypto", Crypto::parse);
}

std::vector<IceCandidate> MediaDescription::candidates() const {
    return collect<IceCandidate>(attributes, "candidate", IceCandidate::parse);
}

std::size_t MediaDescription::removeIceAttributes() {
    return attributes.removeIf([](const Attribute& a) { return isIceAttribute(a.name); });
}

// ---- SessionDescription -------------------------------------------------------------------------

std::optional<Direction> SessionDescription::direction() const noexcept {
    return findDirection(attributes);
}

void SessionDescription::setDirection(Direction d) {
    replaceDirection(attributes, d);
}

Direction SessionDescription::effectiveDirection(const MediaDescription& m) const noexcept {
    if (auto d = m.direction()) {
        return *d;
    }
    return direction().value_or(Direction::kSendRecv);
}

const Connection* SessionDescription::effectiveConnection(
    const MediaDescription& m) const noexcept {
    if (!m.connections.empty()) {
        return &m.connections.front();
    }
    return connection ? &*connection : nullptr;
}

bool SessionDescription::isIceLite() const noexcept {
    return attributes.has("ice-lite");
}

std::size_t SessionDescription::removeIceAttributes() {
    std::size_t n = attributes.removeIf([](const Attribute& a) { return isIceAttribute(a.name); });
    for (auto& m : media) {
        n += m.removeIceAttributes();
    }
    return n;
}

bool SessionDescription::setConnectionAddress(std::string_view ip) {
    auto c = Connection::fromAddress(ip);
    if (!c) {
        return false;
    }
    bool someMediaLacksConnection =
        std::any_of(media.begin(), media.end(),
                    [](const MediaDescription& m) { return m.connections.empty(); });
    if (connection || someMediaLacksConnection) {
        connection = *c;
    }
    for (auto& m : media) {
        if (!m.connections.empty()) {
            m.connections.assign(1, *c);
        }
    }
    return true;
}

}  // namespace sbc::sdp
