#include "controlplane/b2bua/call_record.hpp"

#include <boost/asio/ip/address.hpp>
#include <set>

#include "controlplane/b2bua/record_json.hpp"

namespace sbc::b2bua {

namespace {

// 2100-01-01T00:00:00Z: later wall times in a record are corrupt.
constexpr std::uint64_t kMaxTimeMs = 4102444800000ULL;
constexpr std::uint64_t kMaxCseq = 0x7fffffffULL;  // RFC 3261 §8.1.1.5: less than 2**31

std::uint64_t toMs(WallClock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

WallClock::time_point fromMs(std::uint64_t ms) {
    return WallClock::time_point{} + std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

const char* transportName(policy::Transport t) {
    switch (t) {
        case policy::Transport::Tcp:
            return "tcp";
        case policy::Transport::Tls:
            return "tls";
        default:
            return "udp";
    }
}

const char* latchName(media::LatchMode m) {
    switch (m) {
        case media::LatchMode::Off:
            return "off";
        case media::LatchMode::SameHost:
            return "same_host";
        default:
            return "any_source";
    }
}

// ---- encoding -------------------------------------------------------------------------------

void encodeLeg(json::Writer& w, std::string_view key, const LegRecord& l) {
    w.open(key)
        .field("call_id", l.callId)
        .field("local_tag", l.localTag)
        .field("remote_tag", l.remoteTag)
        .field("local_uri", l.localUri)
        .field("remote_uri", l.remoteUri)
        .number("local_cseq", l.localCseq);
    if (l.remoteCseq) {
        w.number("remote_cseq", *l.remoteCseq);
    } else {
        w.null("remote_cseq");
    }
    w.field("remote_target", l.remoteTarget).openArray("route_set");
    for (const std::string& r : l.routeSet) {
        w.element(r);
    }
    w.closeArray()
        .open("listener")
        .number("id", l.listenerId)
        .field("side", l.listenerSide)
        .field("transport", transportName(l.transport))
        .close()
        .open("target")
        .field("address", l.targetAddress)
        .number("port", l.targetPort)
        .close()
        .field("trunk", l.trunk)
        .flag("supports_100rel", l.supports100rel)
        .close();
}

void encodeEnd(json::Writer& w, std::string_view key, const media::StreamEnd& e) {
    w.open(key)
        .field("side", e.side)
        .open("local")
        .field("ip", e.local.ip)
        .number("port", e.local.port)
        .close()
        .open("remote")
        .field("ip", e.remote.ip)
        .number("port", e.remote.port)
        .close()
        .number("remote_rtcp_port", e.remoteRtcpPort)
        .flag("rtcp_mux", e.rtcpMux)
        .field("latch", latchName(e.latch))
        .close();
}

// ---- decoding -------------------------------------------------------------------------------

// The fields of one JSON object, read by name; the first problem is kept as the error, with the
// path of the field. Fields nobody read are errors too (finish()): a record has no extras.
class Fields {
  public:
    Fields(const json::Value* v, std::string path, std::string& error)
        : path_(std::move(path)), error_(error) {
        obj_ = v != nullptr ? v->object() : nullptr;
        if (obj_ == nullptr) {
            fail(path_, "expected an object");
        }
    }

    bool ok() const { return error_.empty(); }

    const json::Value* get(std::string_view key) {
        if (!ok()) {
            return nullptr;
        }
        auto it = obj_->find(key);
        if (it == obj_->end()) {
            fail(name(key), "missing");
            return nullptr;
        }
        used_.insert(std::string(key));
        return &it->second;
    }

    // A string without control characters (header folding, CRLF + SP/HT, allowed): the values
    // go back into SIP messages, so a record must not be able to inject header lines.
    bool text(std::string_view key, std::string& out, bool required = false) {
        const json::Value* v = get(key);
        if (v == nullptr) {
            return false;
        }
        const std::string* s = v->string();
        if (s == nullptr) {
            return fail(name(key), "expected a string");
        }
        if (s->size() > CallRecordLimits::kMaxText) {
            return fail(name(key), "longer than " + std::to_string(CallRecordLimits::kMaxText));
        }
        if (required && s->empty()) {
            return fail(name(key), "empty");
        }
        for (std::size_t i = 0; i < s->size(); ++i) {
            auto c = static_cast<unsigned char>((*s)[i]);
            if (c == '\r' && i + 2 < s->size() && (*s)[i + 1] == '\n' &&
                ((*s)[i + 2] == ' ' || (*s)[i + 2] == '\t')) {
                i += 2;
                continue;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return fail(name(key), "control character");
            }
        }
        out = *s;
        return true;
    }

    template <typename T>
    bool number(std::string_view key, T& out, std::uint64_t min, std::uint64_t max) {
        const json::Value* v = get(key);
        if (v == nullptr) {
            return false;
        }
        const std::uint64_t* n = v->number();
        if (n == nullptr || *n < min || *n > max) {
            return fail(name(key),
                        "expected an integer " + std::to_string(min) + ".." + std::to_string(max));
        }
        out = static_cast<T>(*n);
        return true;
    }

    bool flag(std::string_view key, bool& out) {
        const json::Value* v = get(key);
        if (v == nullptr) {
            return false;
        }
        if (v->boolean() == nullptr) {
            return fail(name(key), "expected true or false");
        }
        out = *v->boolean();
        return true;
    }

    bool time(std::string_view key, WallClock::time_point& out) {
        std::uint64_t ms = 0;
        if (!number(key, ms, 1, kMaxTimeMs)) {
            return false;
        }
        out = fromMs(ms);
        return true;
    }

    // A field that may be null; `present` tells which.
    bool nullable(std::string_view key, bool& present) {
        const json::Value* v = get(key);
        if (v == nullptr) {
            return false;
        }
        present = !v->isNull();
        if (!present) {
            used_.insert(std::string(key));
        }
        return true;
    }

    const json::Array* array(std::string_view key, std::size_t max) {
        const json::Value* v = get(key);
        if (v == nullptr) {
            return nullptr;
        }
        const json::Array* a = v->array();
        if (a == nullptr) {
            fail(name(key), "expected an array");
            return nullptr;
        }
        if (a->size() > max) {
            fail(name(key), "more than " + std::to_string(max) + " entries");
            return nullptr;
        }
        return a;
    }

    std::string name(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    bool fail(const std::string& where, const std::string& what) {
        if (error_.empty()) {
            error_ = where + ": " + what;
        }
        return false;
    }

    bool finish() {
        if (!ok()) {
            return false;
        }
        for (const auto& [key, value] : *obj_) {
            if (!used_.contains(key)) {
                return fail(name(key), "unknown field");
            }
        }
        return true;
    }

  private:
    const json::Object* obj_ = nullptr;
    std::string path_;
    std::string& error_;
    std::set<std::string> used_;
};

bool isIpLiteral(const std::string& s) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(s, ec);
    return !ec;
}

bool decodeTransport(Fields& f, std::string_view key, policy::Transport& out) {
    std::string t;
    if (!f.text(key, t)) {
        return false;
    }
    if (t == "udp") {
        out = policy::Transport::Udp;
    } else if (t == "tcp") {
        out = policy::Transport::Tcp;
    } else if (t == "tls") {
        out = policy::Transport::Tls;
    } else {
        return f.fail(f.name(key), "expected udp, tcp or tls");
    }
    return true;
}

bool decodeLeg(const json::Value* v, const std::string& path, LegRecord& l, std::string& error) {
    Fields f(v, path, error);
    f.text("call_id", l.callId, true);
    f.text("local_tag", l.localTag, true);
    f.text("remote_tag", l.remoteTag, true);
    f.text("local_uri", l.localUri, true);
    f.text("remote_uri", l.remoteUri, true);
    f.number("local_cseq", l.localCseq, 0, kMaxCseq);
    bool hasRemoteCseq = false;
    if (f.nullable("remote_cseq", hasRemoteCseq) && hasRemoteCseq) {
        std::uint32_t n = 0;
        if (f.number("remote_cseq", n, 0, kMaxCseq)) {
            l.remoteCseq = n;
        }
    }
    f.text("remote_target", l.remoteTarget, true);
    if (const json::Array* routes = f.array("route_set", CallRecordLimits::kMaxRoutes)) {
        for (std::size_t i = 0; i < routes->size(); ++i) {
            const std::string* r = (*routes)[i].string();
            if (r == nullptr || r->empty() || r->size() > CallRecordLimits::kMaxText ||
                r->find_first_of("\r\n", 0) != std::string::npos) {
                f.fail(f.name("route_set"), "entry " + std::to_string(i) + " is not a route");
                break;
            }
            l.routeSet.push_back(*r);
        }
    }
    {
        Fields listener(f.get("listener"), f.name("listener"), error);
        listener.number("id", l.listenerId, 1, UINT32_MAX);
        listener.text("side", l.listenerSide, true);
        decodeTransport(listener, "transport", l.transport);
        listener.finish();
    }
    {
        Fields target(f.get("target"), f.name("target"), error);
        if (target.text("address", l.targetAddress, true) && !isIpLiteral(l.targetAddress)) {
            target.fail(target.name("address"), "not an IP address");
        }
        target.number("port", l.targetPort, 1, 65535);
        target.finish();
    }
    f.text("trunk", l.trunk);
    f.flag("supports_100rel", l.supports100rel);
    return f.finish();
}

bool decodeAddress(const json::Value* v, const std::string& path, media::Address& a,
                   std::string& error) {
    Fields f(v, path, error);
    if (f.text("ip", a.ip) && !a.ip.empty() && !isIpLiteral(a.ip)) {
        f.fail(f.name("ip"), "not an IP address");
    }
    f.number("port", a.port, 0, 65535);
    return f.finish();
}

bool decodeEnd(const json::Value* v, const std::string& path, media::StreamEnd& e,
               std::string& error) {
    Fields f(v, path, error);
    f.text("side", e.side, true);
    decodeAddress(f.get("local"), f.name("local"), e.local, error);
    decodeAddress(f.get("remote"), f.name("remote"), e.remote, error);
    f.number("remote_rtcp_port", e.remoteRtcpPort, 0, 65535);
    f.flag("rtcp_mux", e.rtcpMux);
    std::string latch;
    if (f.text("latch", latch)) {
        if (latch == "off") {
            e.latch = media::LatchMode::Off;
        } else if (latch == "any_source") {
            e.latch = media::LatchMode::AnySource;
        } else if (latch == "same_host") {
            e.latch = media::LatchMode::SameHost;
        } else {
            f.fail(f.name("latch"), "expected off, any_source or same_host");
        }
    }
    if (f.ok() && (e.local.ip.empty() || e.local.port == 0)) {
        f.fail(f.name("local"), "a relay address and port are required");
    }
    return f.finish();
}

bool decodeMedia(const json::Value* v, CallMediaState& m, std::string& error) {
    Fields f(v, "media", error);
    bool hasSession = false;
    if (f.nullable("session", hasSession) && hasSession) {
        media::SessionId id = 0;
        if (f.number("session", id, 1, UINT64_MAX)) {
            m.session = id;
        }
    }
    if (const json::Array* legs = f.array("legs", 2)) {
        if (legs->size() != 2) {
            f.fail(f.name("legs"), "expected 2 entries");
        }
        for (std::size_t i = 0; i < legs->size() && f.ok(); ++i) {
            Fields leg(&(*legs)[i], f.name("legs") + "[" + std::to_string(i) + "]", error);
            leg.text("side", m.policy[i].side, true);
            leg.flag("strip_ice", m.policy[i].stripIce);
            leg.flag("latch", m.policy[i].latch);
            Fields origin(leg.get("origin"), leg.name("origin"), error);
            SdpOrigin& o = m.origin[i];
            if (origin.text("session_id", o.sessionId, true) &&
                (o.sessionId.size() > 20 ||
                 o.sessionId.find_first_not_of("0123456789") != std::string::npos)) {
                origin.fail(origin.name("session_id"), "expected digits");
            }
            origin.number("version", o.version, 0, UINT64_MAX);
            origin.text("last_peer_version", o.lastPeerVersion);
            origin.flag("sent", o.sent);
            origin.finish();
            leg.finish();
        }
    }
    if (const json::Array* streams = f.array("streams", CallRecordLimits::kMaxStreams)) {
        for (std::size_t i = 0; i < streams->size() && f.ok(); ++i) {
            std::string path = f.name("streams") + "[" + std::to_string(i) + "]";
            Fields s(&(*streams)[i], path, error);
            media::Stream stream;
            decodeEnd(s.get("a"), s.name("a"), stream.a, error);
            decodeEnd(s.get("b"), s.name("b"), stream.b, error);
            if (s.finish()) {
                m.streams.push_back(std::move(stream));
            }
        }
    }
    if (f.ok() && m.session.has_value() == m.streams.empty()) {
        f.fail(f.name("streams"),
               m.session ? "a media session needs streams" : "streams without a media session");
    }
    return f.finish();
}

}  // namespace

std::string encode(const CallRecord& r) {
    json::Writer w;
    w.open()
        .number("version", CallRecord::kVersion)
        .number("call", r.callNumber)
        .field("in_trunk", r.inTrunk)
        .field("out_trunk", r.outTrunk);
    encodeLeg(w, "a", r.a);
    encodeLeg(w, "b", r.b);

    w.open("media");
    if (r.media.session) {
        w.number("session", *r.media.session);
    } else {
        w.null("session");
    }
    w.openArray("legs");
    for (int i = 0; i < 2; ++i) {
        const LegMediaPolicy& p = r.media.policy[i];
        const SdpOrigin& o = r.media.origin[i];
        w.open()
            .field("side", p.side)
            .flag("strip_ice", p.stripIce)
            .flag("latch", p.latch)
            .open("origin")
            .field("session_id", o.sessionId)
            .number("version", o.version)
            .field("last_peer_version", o.lastPeerVersion)
            .flag("sent", o.sent)
            .close()
            .close();
    }
    w.closeArray().openArray("streams");
    for (const media::Stream& s : r.media.streams) {
        w.open();
        encodeEnd(w, "a", s.a);
        encodeEnd(w, "b", s.b);
        w.close();
    }
    w.closeArray().close();

    if (r.sessionTimer) {
        w.open("session_timer")
            .number("interval_s", static_cast<std::uint64_t>(r.sessionTimer->interval.count()))
            .field("refresher", r.sessionTimer->refresher)
            .number("expires_ms", toMs(r.sessionTimer->expires))
            .close();
    } else {
        w.null("session_timer");
    }
    if (r.maxDurationDeadline) {
        w.number("max_duration_deadline_ms", toMs(*r.maxDurationDeadline));
    } else {
        w.null("max_duration_deadline_ms");
    }
    const CdrRecord& c = r.cdr;
    w.open("cdr")
        .field("a_call_id", c.aCallId)
        .field("b_call_id", c.bCallId)
        .field("from_trunk", c.fromTrunk)
        .field("to_trunk", c.toTrunk)
        .field("caller", c.caller)
        .field("callee", c.callee)
        .field("destination", c.destination)
        .number("start_ms", toMs(c.start));
    if (c.answer) {
        w.number("answer_ms", toMs(*c.answer));
    } else {
        w.null("answer_ms");
    }
    w.close().close();
    return w.take();
}

DecodeResult decode(std::string_view text) {
    DecodeResult out;
    if (text.size() > CallRecordLimits::kMaxBytes) {
        out.error = "record larger than " + std::to_string(CallRecordLimits::kMaxBytes) + " bytes";
        return out;
    }
    json::ParseResult parsed = json::parse(text);
    if (!parsed.value) {
        out.error = "not JSON: " + parsed.error;
        return out;
    }
    std::string error;
    CallRecord r;
    Fields f(&*parsed.value, "", error);
    std::uint64_t version = 0;
    if (f.number("version", version, 0, UINT64_MAX) && version != CallRecord::kVersion) {
        f.fail("version", "unsupported record version " + std::to_string(version));
    }
    f.number("call", r.callNumber, 1, UINT64_MAX);
    f.text("in_trunk", r.inTrunk, true);
    f.text("out_trunk", r.outTrunk, true);
    decodeLeg(f.get("a"), "a", r.a, error);
    decodeLeg(f.get("b"), "b", r.b, error);
    decodeMedia(f.get("media"), r.media, error);
    bool present = false;
    if (f.nullable("session_timer", present) && present) {
        Fields st(f.get("session_timer"), "session_timer", error);
        SessionTimerRecord t;
        std::uint32_t secs = 0;
        st.number("interval_s", secs, 1, UINT32_MAX);
        t.interval = std::chrono::seconds(secs);
        if (st.text("refresher", t.refresher) && !t.refresher.empty() && t.refresher != "uac" &&
            t.refresher != "uas") {
            st.fail(st.name("refresher"), "expected uac, uas or empty");
        }
        st.time("expires_ms", t.expires);
        if (st.finish()) {
            r.sessionTimer = t;
        }
    }
    if (f.nullable("max_duration_deadline_ms", present) && present) {
        WallClock::time_point t;
        if (f.time("max_duration_deadline_ms", t)) {
            r.maxDurationDeadline = t;
        }
    }
    {
        Fields c(f.get("cdr"), "cdr", error);
        CdrRecord& cdr = r.cdr;
        c.text("a_call_id", cdr.aCallId, true);
        c.text("b_call_id", cdr.bCallId, true);
        c.text("from_trunk", cdr.fromTrunk);
        c.text("to_trunk", cdr.toTrunk);
        c.text("caller", cdr.caller);
        c.text("callee", cdr.callee);
        c.text("destination", cdr.destination);
        c.time("start_ms", cdr.start);
        if (c.nullable("answer_ms", present) && present) {
            WallClock::time_point t;
            if (c.time("answer_ms", t)) {
                cdr.answer = t;
            }
        }
        c.finish();
    }
    if (!f.finish()) {
        out.error = error;
        return out;
    }
    r.cdr.id = r.callNumber;
    out.record = std::move(r);
    return out;
}

}  // namespace sbc::b2bua
