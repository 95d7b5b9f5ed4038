// CallRecord encoding: round trips, and the decoder refusing corrupt, truncated and hostile
// records with a message naming the field (never a crash).
#include "controlplane/b2bua/call_record.hpp"

#include <gtest/gtest.h>

#include <string>

#include "controlplane/b2bua/record_json.hpp"

namespace sbc::b2bua {
namespace {

using namespace std::chrono_literals;

WallClock::time_point at(std::int64_t ms) {
    return WallClock::time_point{} + std::chrono::milliseconds(ms);
}

CallRecord sample() {
    CallRecord r;
    r.callNumber = 42;
    r.inTrunk = "carrier";
    r.outTrunk = "pbx";
    r.a.callId = "carrier-call-1@198.51.100.7";
    r.a.localTag = "sbcTagA";
    r.a.remoteTag = "carrierTag1";
    r.a.localUri = "<sip:+15550001@sbc.example>";
    r.a.remoteUri = "\"Al \\\"the\\\" ice \xc3\xa9\" <sip:+14440001@carrier.example>";
    r.a.localCseq = 3;
    r.a.remoteCseq = 11;
    r.a.remoteTarget = "sip:alice@198.51.100.7:5062";
    r.a.routeSet = {"<sip:rr.carrier.example;lr>", "<sip:rr2.carrier.example;lr>"};
    r.a.listenerId = 1;
    r.a.listenerSide = "outside";
    r.a.transport = policy::Transport::Udp;
    r.a.targetAddress = "198.51.100.7";
    r.a.targetPort = 5062;
    r.a.trunk = "carrier";
    r.a.supports100rel = true;
    r.b.callId = "b2b-1234";
    r.b.localTag = "sbcTagB";
    r.b.remoteTag = "pbxTag1";
    r.b.localUri = "\"Alice\" <sip:+14440001@10.0.0.5:5060>";
    r.b.remoteUri = "<sip:+15550001@10.1.1.10:5060>";
    r.b.localCseq = 2;
    r.b.remoteTarget = "sip:pbx@[2001:db8::1]:5060;transport=tcp";
    r.b.listenerId = 3;
    r.b.listenerSide = "inside";
    r.b.transport = policy::Transport::Tcp;
    r.b.targetAddress = "2001:db8::1";
    r.b.targetPort = 5060;
    r.b.trunk = "pbx";
    r.media.policy[0] = {"outside", true, true};
    r.media.policy[1] = {"inside", false, false};
    r.media.origin[0] = {"123456", 2, "2890844527", true};
    r.media.origin[1] = {"987", 1, "1", true};
    r.media.session = (1700000000ULL << 20) + 5;
    media::Stream s;
    s.a = {"outside", {"203.0.113.100", 20000},   {"198.51.100.7", 49170}, 49171,
           false,     media::LatchMode::AnySource};
    s.b = {"inside", {"10.0.0.100", 30000}, {"10.1.1.20", 6000}, 0, true, media::LatchMode::Off};
    media::Stream video;
    video.a = {"outside", {"203.0.113.100", 20002}, {}, 0, false, media::LatchMode::SameHost};
    video.b = {"inside", {"10.0.0.100", 30002}, {}, 0, false, media::LatchMode::AnySource};
    r.media.streams = {s, video};
    r.sessionTimer = SessionTimerRecord{1800s, "uac", at(1700000123456)};
    r.maxDurationDeadline = at(1700014400000);
    r.cdr.id = 42;
    r.cdr.aCallId = r.a.callId;
    r.cdr.bCallId = r.b.callId;
    r.cdr.fromTrunk = "carrier";
    r.cdr.toTrunk = "pbx";
    r.cdr.caller = "+14440001";
    r.cdr.callee = "+15550001";
    r.cdr.destination = "10.1.1.10:5060";
    r.cdr.start = at(1700000000000);
    r.cdr.answer = at(1700000002500);
    return r;
}

// The sample's JSON with `from` replaced by `to` (once; the test fails if `from` is absent).
std::string edited(const std::string& from, const std::string& to) {
    std::string text = encode(sample());
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::string errorOf(const std::string& text) {
    DecodeResult r = decode(text);
    EXPECT_FALSE(r.record.has_value()) << text;
    return r.error;
}

TEST(CallRecord, RoundTripsEveryField) {
    CallRecord in = sample();
    std::string text = encode(in);
    DecodeResult out = decode(text);
    ASSERT_TRUE(out.record.has_value()) << out.error << "\n" << text;
    const CallRecord& r = *out.record;
    EXPECT_EQ(encode(r), text);
    EXPECT_EQ(r.callNumber, 42u);
    EXPECT_EQ(r.a.remoteUri, in.a.remoteUri);  // quotes, backslashes, UTF-8 kept
    EXPECT_EQ(r.a.routeSet, in.a.routeSet);
    EXPECT_EQ(r.a.remoteCseq, std::optional<std::uint32_t>(11));
    EXPECT_FALSE(r.b.remoteCseq.has_value());
    EXPECT_EQ(r.b.transport, policy::Transport::Tcp);
    EXPECT_EQ(r.b.targetAddress, "2001:db8::1");
    EXPECT_EQ(r.b.listenerId, 3u);
    EXPECT_TRUE(r.a.supports100rel);
    EXPECT_EQ(r.media.session, in.media.session);
    ASSERT_EQ(r.media.streams.size(), 2u);
    EXPECT_EQ(r.media.streams[0].a.remote.port, 49170);
    EXPECT_EQ(r.media.streams[0].a.remoteRtcpPort, 49171);
    EXPECT_TRUE(r.media.streams[0].b.rtcpMux);
    EXPECT_EQ(r.media.streams[0].b.latch, media::LatchMode::Off);
    EXPECT_EQ(r.media.streams[1].a.latch, media::LatchMode::SameHost);
    EXPECT_TRUE(r.media.streams[1].a.remote.ip.empty());
    EXPECT_EQ(r.media.origin[0].version, 2u);
    EXPECT_EQ(r.media.origin[0].lastPeerVersion, "2890844527");
    EXPECT_FALSE(r.media.policy[1].stripIce);
    ASSERT_TRUE(r.sessionTimer.has_value());
    EXPECT_EQ(r.sessionTimer->interval, 1800s);
    EXPECT_EQ(r.sessionTimer->refresher, "uac");
    EXPECT_EQ(r.sessionTimer->expires, at(1700000123456));
    EXPECT_EQ(r.maxDurationDeadline, at(1700014400000));
    EXPECT_EQ(r.cdr.id, 42u);
    EXPECT_EQ(r.cdr.answer, at(1700000002500));
    EXPECT_EQ(r.cdr.destination, "10.1.1.10:5060");
}

TEST(CallRecord, OptionalPartsRoundTripAsNull) {
    CallRecord in = sample();
    in.sessionTimer.reset();
    in.maxDurationDeadline.reset();
    in.cdr.answer.reset();
    in.media.session.reset();
    in.media.streams.clear();
    DecodeResult out = decode(encode(in));
    ASSERT_TRUE(out.record.has_value()) << out.error;
    EXPECT_FALSE(out.record->sessionTimer.has_value());
    EXPECT_FALSE(out.record->maxDurationDeadline.has_value());
    EXPECT_FALSE(out.record->cdr.answer.has_value());
    EXPECT_FALSE(out.record->media.session.has_value());
}

TEST(CallRecord, EveryTruncationIsRefused) {
    std::string text = encode(sample());
    for (size_t n = 0; n < text.size(); ++n) {
        DecodeResult r = decode(std::string_view(text).substr(0, n));
        ASSERT_FALSE(r.record.has_value()) << n;
        EXPECT_FALSE(r.error.empty());
    }
}

TEST(CallRecord, RefusalsNameTheField) {
    EXPECT_EQ(errorOf(edited("\"version\":1", "\"version\":2")),
              "version: unsupported record version 2");
    EXPECT_EQ(errorOf(edited("\"port\":5062", "\"port\":70000")),
              "a.target.port: expected an integer 1..65535");
    EXPECT_EQ(errorOf(edited("\"198.51.100.7\",\"port\"", "\"evil.example\",\"port\"")),
              "a.target.address: not an IP address");
    EXPECT_EQ(errorOf(edited("\"local_cseq\":3", "\"local_cseq\":\"3\"")),
              "a.local_cseq: expected an integer 0..2147483647");
    EXPECT_EQ(errorOf(edited("\"local_cseq\":3", "\"local_cseq\":2147483648")),
              "a.local_cseq: expected an integer 0..2147483647");
    EXPECT_EQ(errorOf(edited("\"call\":42", "\"call\":0")),
              "call: expected an integer 1..18446744073709551615");
    EXPECT_EQ(errorOf(edited("\"supports_100rel\":true", "\"supports_100rel\":true,\"x\":1")),
              "a.x: unknown field");
    EXPECT_EQ(errorOf(edited("\"latch\":\"off\"", "\"latch\":\"sometimes\"")),
              "media.streams[0].b.latch: expected off, any_source or same_host");
    EXPECT_EQ(errorOf(edited("\"transport\":\"tcp\"", "\"transport\":\"sctp\"")),
              "b.listener.transport: expected udp, tcp or tls");
    EXPECT_EQ(errorOf(edited("\"refresher\":\"uac\"", "\"refresher\":\"me\"")),
              "session_timer.refresher: expected uac, uas or empty");
    EXPECT_EQ(errorOf(edited("\"in_trunk\":\"carrier\"",
                             "\"in_trunk\":\"carrier\",\"in_trunk\":\"pbx\"")),
              "not JSON: offset 60: duplicate field name");
}

TEST(CallRecord, HeaderInjectionIsRefused) {
    // Values go back into SIP messages: a record must not smuggle header lines in.
    EXPECT_EQ(errorOf(edited("sip:alice@198.51.100.7:5062\"",
                             "sip:alice@198.51.100.7:5062\\r\\nX-Evil: 1\"")),
              "a.remote_target: control character");
    EXPECT_EQ(errorOf(edited("<sip:rr.carrier.example;lr>", "<sip:rr\\r\\nX: y>")),
              "a.route_set: entry 0 is not a route");
    EXPECT_EQ(errorOf(edited("\"sbcTagA\"", "\"sbc\\u0000TagA\"")),
              "a.local_tag: control character");
    // Header folding (CRLF + whitespace) is a legal part of a header value.
    DecodeResult folded = decode(
        edited("\"<sip:+15550001@sbc.example>\"", "\"<sip:+15550001@sbc.example>\\r\\n ;x=1\""));
    EXPECT_TRUE(folded.record.has_value()) << folded.error;
}

TEST(CallRecord, MediaConsistencyIsChecked) {
    EXPECT_EQ(errorOf(edited("\"session\":" + std::to_string((1700000000ULL << 20) + 5),
                             "\"session\":null")),
              "media.streams: streams without a media session");
    EXPECT_EQ(errorOf(edited("\"local\":{\"ip\":\"203.0.113.100\",\"port\":20000}",
                             "\"local\":{\"ip\":\"\",\"port\":20000}")),
              "media.streams[0].a.local: a relay address and port are required");
    EXPECT_EQ(errorOf(edited("\"session_id\":\"123456\"", "\"session_id\":\"12ab\"")),
              "media.legs[0].origin.session_id: expected digits");
}

TEST(CallRecord, NotJsonOrNotARecord) {
    EXPECT_EQ(errorOf(""), "not JSON: offset 0: unexpected end of document");
    EXPECT_EQ(errorOf("[]"), ": expected an object");
    EXPECT_EQ(errorOf("{}"), "version: missing");
    EXPECT_EQ(errorOf(encode(sample()) + "x"), "not JSON: offset " +
                                                   std::to_string(encode(sample()).size()) +
                                                   ": unexpected data after the document");
    EXPECT_EQ(errorOf(std::string(70000, ' ')), "record larger than 65536 bytes");
}

TEST(RecordJson, ParsesTheSubsetAndRefusesTheRest) {
    json::ParseResult ok =
        json::parse(" {\"a\" : [1, 0, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\\/\"]} ");
    ASSERT_TRUE(ok.value.has_value()) << ok.error;
    const json::Array& a = *ok.value->object()->at("a").array();
    ASSERT_EQ(a.size(), 6u);
    EXPECT_EQ(*a[0].number(), 1u);
    EXPECT_TRUE(*a[2].boolean());
    EXPECT_TRUE(a[4].isNull());
    EXPECT_EQ(*a[5].string(), "x\xc3\xa9\xf0\x9f\x98\x80\n/");
    EXPECT_EQ(json::parse("18446744073709551615").value->number() != nullptr, true);
    EXPECT_EQ(json::parse("18446744073709551616").error, "offset 19: number out of range");
    EXPECT_EQ(json::parse("-1").error, "offset 0: negative numbers are not used in call records");
    EXPECT_EQ(json::parse("1.5").error,
              "offset 1: fractions and exponents are not used in call records");
    EXPECT_EQ(json::parse("01").error, "offset 2: leading zero in a number");
    EXPECT_EQ(json::parse("\"\\ud800\"").error, "offset 7: unpaired surrogate");
    EXPECT_EQ(json::parse("\"a\nb\"").error, "offset 3: control character in a string");
    EXPECT_EQ(json::parse("{\"a\":1,\"a\":2}").error, "offset 12: duplicate field name");
    EXPECT_EQ(json::parse("[1,]").error, "offset 3: unexpected character");
    EXPECT_EQ(json::parse("tru").error, "offset 0: unexpected character");
    std::string deep(100000, '[');
    EXPECT_EQ(json::parse(deep).error, "offset 16: nested too deeply");
    std::string many = "[";
    for (int i = 0; i < 20000; ++i) {
        many += "0,";
    }
    many += "0]";
    EXPECT_EQ(json::parse(many).error, "offset 32767: too many values");
}

TEST(RecordJson, WriterEscapesWhatTheReaderReads) {
    std::string nasty = std::string("q\"b\\s\x01\x1f\x7f\xff", 9) + "\r\n";
    json::Writer w;
    w.open().field("k", nasty).number("n", 7).flag("f", false).null("z").close();
    std::string text = w.take();
    json::ParseResult back = json::parse(text);
    ASSERT_TRUE(back.value.has_value()) << back.error;
    EXPECT_EQ(*back.value->object()->at("k").string(), nasty);
    EXPECT_EQ(*back.value->object()->at("n").number(), 7u);
}

}  // namespace
}  // namespace sbc::b2bua
