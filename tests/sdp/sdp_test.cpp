// Unit tests for controlplane/sdp: real-world offers round-trip byte for byte, typed views, the
// B2BUA rewrite helpers, and the error (code, line) reported for malformed bodies.
#include "controlplane/sdp/sdp.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::sdp {
namespace {

// Test bodies are written with '\n' for readability; SDP on the wire uses CRLF.
std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

SessionDescription parseOk(std::string_view body) {
    auto r = parse(body);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : SessionDescription{};
}

ParseError parseFails(std::string_view body, const Limits& limits = Limits{}) {
    auto r = parse(body, limits);
    EXPECT_FALSE(r.ok());
    if (r.ok()) {
        return ParseError{ErrorCode::kOutOfMemory, 9999, "unexpectedly parsed"};
    }
    return r.error();
}

// Asserts serialize(parse(x)) == x and parse(serialize(parse(x))) == parse(x).
void expectRoundTrip(const std::string& body) {
    auto sd = parseOk(body);
    std::string out = serialize(sd);
    EXPECT_EQ(out, body);
    auto again = parse(out);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again.value(), sd);
}

// ---- Realistic offers ---------------------------------------------------------------------------

const std::string kAudioOffer = crlf(
    "v=0\n"
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.10\n"
    "s=-\n"
    "c=IN IP4 198.51.100.10\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0 8 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=maxptime:150\n"
    "a=sendrecv\n");

const std::string kAudioVideoOffer = crlf(
    "v=0\n"
    "o=bob 1234567890 1 IN IP4 203.0.113.5\n"
    "s=Video call\n"
    "c=IN IP4 203.0.113.5\n"
    "b=AS:2048\n"
    "t=0 0\n"
    "m=audio 5004 RTP/AVP 96 0 101\n"
    "b=AS:64\n"
    "a=rtpmap:96 opus/48000/2\n"
    "a=fmtp:96 useinbandfec=1;minptime=10\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-15\n"
    "a=sendrecv\n"
    "m=video 5006 RTP/AVPF 97 98\n"
    "b=AS:1920\n"
    "b=TIAS:1920000\n"
    "a=rtpmap:97 H264/90000\n"
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\n"
    "a=rtpmap:98 H264/90000\n"
    "a=fmtp:98 profile-level-id=42e01f;packetization-mode=0\n"
    "a=rtcp-fb:97 nack pli\n"
    "a=rtcp-fb:97 ccm fir\n"
    "a=sendrecv\n");

// RFC 4568 §4-style offer with every optional session line.
const std::string kSrtpOffer = crlf(
    "v=0\n"
    "o=sam 2890844526 2890842807 IN IP4 192.0.2.5\n"
    "s=SRTP Discussion\n"
    "i=A discussion about Secure RTP\n"
    "u=http://www.example.com/seminars/srtp.pdf\n"
    "e=marge@example.com (Marge Simpson)\n"
    "p=+1 617 555-6011\n"
    "c=IN IP4 192.0.2.12\n"
    "t=2873397496 2873404696\n"
    "r=7d 1h 0 25h\n"
    "z=2882844526 -1h 2898848070 0\n"
    "m=audio 49170 RTP/SAVP 0 18\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyAoc2VuZGVyICMyLS2QT|2^20|1:4 "
    "FEC_ORDER=FEC_SRTP\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32\n"
    "a=rtpmap:18 G729/8000\n"
    "a=fmtp:18 annexb=no\n");

const std::string kFingerprint =
    "sha-256 "
    "D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:"
    "0F";

const std::string kWebRtcOffer = crlf(
    "v=0\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE 0 1\n"
    "a=msid-semantic: WMS stream0\n"
    "a=ice-options:trickle\n"
    "m=audio 54321 UDP/TLS/RTP/SAVPF 111 9 0 8 126\n"
    "c=IN IP4 203.0.113.77\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=candidate:1467250027 1 udp 2122260223 192.168.1.20 54321 typ host generation 0\n"
    "a=candidate:2999745851 1 udp 2122262783 2001:db8:85a3::8a2e:370:7334 54322 typ host "
    "generation 0\n"
    "a=candidate:842163049 1 udp 1677729535 203.0.113.77 54321 typ srflx raddr 192.168.1.20 "
    "rport 54321 generation 0 network-cost 999\n"
    "a=candidate:3 1 udp 2113937151 0f3c52b8-5a3e-4d7c-9b1e-2a1f7d7c8e9a.local 60001 typ host\n"
    "a=candidate:4 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0\n"
    "a=ice-ufrag:EsAw\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n"
    "a=fingerprint:" +
    kFingerprint +
    "\n"
    "a=setup:actpass\n"
    "a=mid:0\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\n"
    "a=sendrecv\n"
    "a=rtcp-mux\n"
    "a=rtpmap:111 opus/48000/2\n"
    "a=rtcp-fb:111 transport-cc\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\n"
    "a=rtpmap:9 G722/8000\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:126 telephone-event/8000\n"
    "a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6\n"
    "a=end-of-candidates\n"
    "m=video 54321 UDP/TLS/RTP/SAVPF 96 97\n"
    "c=IN IP4 203.0.113.77\n"
    "a=rtcp:9 IN IP4 0.0.0.0\n"
    "a=ice-ufrag:EsAw\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\n"
    "a=fingerprint:" +
    kFingerprint +
    "\n"
    "a=setup:actpass\n"
    "a=mid:1\n"
    "a=recvonly\n"
    "a=rtcp-mux\n"
    "a=rtcp-rsize\n"
    "a=rtpmap:96 VP8/90000\n"
    "a=rtpmap:97 rtx/90000\n"
    "a=fmtp:97 apt=96\n");

const std::string kIpv6Offer = crlf(
    "v=0\n"
    "o=carol 28908764872 28908764872 IN IP6 2001:db8::2\n"
    "s=-\n"
    "c=IN IP6 2001:db8::2\n"
    "t=0 0\n"
    "a=sendonly\n"
    "m=audio 53020 RTP/AVP 0 8\n"
    "a=rtcp:53021 IN IP6 2001:db8::1\n"
    "m=audio 53030 RTP/AVP 0\n"
    "c=IN IP4 192.0.2.33\n"
    "a=recvonly\n"
    "m=video 0 RTP/AVP 31\n"
    "a=inactive\n"
    "m=application 0 UDP/BFCP *\n");

// ---- Round trips --------------------------------------------------------------------------------

TEST(SdpRoundTrip, RealOffersAreByteExact) {
    for (const auto* body :
         {&kAudioOffer, &kAudioVideoOffer, &kSrtpOffer, &kWebRtcOffer, &kIpv6Offer}) {
        SCOPED_TRACE(body->substr(0, 60));
        expectRoundTrip(*body);
    }
}

TEST(SdpRoundTrip, BareLfParsesLikeCrlf) {
    std::string lf;
    for (std::size_t i = 0; i < kWebRtcOffer.size(); ++i) {
        if (kWebRtcOffer[i] != '\r') {
            lf += kWebRtcOffer[i];
        }
    }
    auto sd = parseOk(lf);
    EXPECT_EQ(sd, parseOk(kWebRtcOffer));
    EXPECT_EQ(serialize(sd), kWebRtcOffer);
}

TEST(SdpRoundTrip, ToleratesMissingFinalCrlfAndTrailingEmptyLines) {
    std::string noFinal = kAudioOffer.substr(0, kAudioOffer.size() - 2);
    EXPECT_EQ(serialize(parseOk(noFinal)), kAudioOffer);
    EXPECT_EQ(serialize(parseOk(kAudioOffer + "\r\n\r\n")), kAudioOffer);
}

TEST(SdpRoundTrip, NormalizesSpacingAndLeadingZeros) {
    auto sd =
        parseOk(crlf("v=0\n"
                     "o=-  1 1 IN IP4 192.0.2.1 \n"
                     "s=-\n"
                     "t=0  0\n"
                     "m=audio 0049170 RTP/AVP  0\n"
                     "b=AS:064\n"));
    EXPECT_EQ(serialize(sd), crlf("v=0\n"
                                  "o=- 1 1 IN IP4 192.0.2.1\n"
                                  "s=-\n"
                                  "t=0 0\n"
                                  "m=audio 49170 RTP/AVP 0\n"
                                  "b=AS:64\n"));
    EXPECT_EQ(parseOk(serialize(sd)), sd);
}

TEST(SdpRoundTrip, KeepsUnknownAttributesAndValueForms) {
    std::string body = crlf(
        "v=0\n"
        "o=- 1 1 IN IP4 192.0.2.1\n"
        "s= \n"
        "t=0 0\n"
        "a=X-vendor-thing:  spaced  value \n"
        "a=empty-value:\n"
        "a=flag\n"
        "m=audio 49170/2 RTP/AVP 0\n"
        "i=main audio\n"
        "c=IN IP4 224.2.1.1/127/3\n"
        "c=IN IP6 ff15::101/3\n"
        "k=prompt\n"
        "a=label:1\n");
    expectRoundTrip(body);
    auto sd = parseOk(body);
    EXPECT_EQ(sd.sessionName, " ");
    ASSERT_EQ(sd.attributes.size(), 3u);
    EXPECT_EQ(sd.attributes[0], (Attribute{"X-vendor-thing", "  spaced  value "}));
    EXPECT_EQ(sd.attributes[1], (Attribute{"empty-value", ""}));
    EXPECT_EQ(sd.attributes[2], (Attribute{"flag", std::nullopt}));
    const auto& m = sd.media.at(0);
    EXPECT_EQ(m.port, 49170);
    EXPECT_EQ(m.portCount, 2u);
    EXPECT_EQ(m.information, "main audio");
    EXPECT_EQ(m.key, "prompt");
    ASSERT_EQ(m.connections.size(), 2u);
    EXPECT_EQ(m.connections[0].address, "224.2.1.1");
    EXPECT_EQ(m.connections[0].ttl, 127u);
    EXPECT_EQ(m.connections[0].count, 3u);
    EXPECT_EQ(m.connections[1].address, "ff15::101");
    EXPECT_EQ(m.connections[1].ttl, std::nullopt);
    EXPECT_EQ(m.connections[1].count, 3u);
}

// ---- Model and typed views ----------------------------------------------------------------------

TEST(SdpModel, AudioOffer) {
    auto sd = parseOk(kAudioOffer);
    EXPECT_EQ(sd.version, 0u);
    EXPECT_EQ(sd.origin.username, "alice");
    EXPECT_EQ(sd.origin.sessionId, "2890844526");
    EXPECT_EQ(sd.origin.sessionVersion, "2890844526");
    EXPECT_EQ(sd.origin.netType, "IN");
    EXPECT_EQ(sd.origin.addrType, "IP4");
    EXPECT_EQ(sd.origin.address, "198.51.100.10");
    EXPECT_EQ(sd.sessionName, "-");
    ASSERT_TRUE(sd.connection.has_value());
    EXPECT_EQ(sd.connection->address, "198.51.100.10");
    EXPECT_FALSE(sd.connection->isIp6());
    ASSERT_EQ(sd.timings.size(), 1u);
    EXPECT_EQ(sd.timings[0].start, "0");
    EXPECT_EQ(sd.timings[0].stop, "0");
    ASSERT_EQ(sd.media.size(), 1u);
    const auto& m = sd.media[0];
    EXPECT_EQ(m.media, "audio");
    EXPECT_EQ(m.port, 49170);
    EXPECT_EQ(m.proto, "RTP/AVP");
    EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
    EXPECT_TRUE(m.isRtp());
    EXPECT_FALSE(m.isRejected());

    auto maps = m.rtpMaps();
    ASSERT_EQ(maps.size(), 3u);
    EXPECT_EQ(maps[0], (RtpMap{0, "PCMU", 8000, std::nullopt}));
    EXPECT_EQ(maps[1], (RtpMap{8, "PCMA", 8000, std::nullopt}));
    EXPECT_EQ(m.rtpMap(101), (RtpMap{101, "telephone-event", 8000, std::nullopt}));
    EXPECT_EQ(m.rtpMap(18), std::nullopt);
    EXPECT_EQ(m.fmtp(101u), (Fmtp{"101", "0-16"}));
    EXPECT_EQ(m.fmtp(0u), std::nullopt);
    EXPECT_EQ(m.attributes.value("ptime"), "20");
    EXPECT_EQ(m.direction(), Direction::kSendRecv);
    EXPECT_EQ(sd.effectiveConnection(m), &*sd.connection);
    EXPECT_FALSE(m.hasRtcpMux());
    EXPECT_EQ(m.rtcp(), std::nullopt);
}

TEST(SdpModel, AudioVideoOffer) {
    auto sd = parseOk(kAudioVideoOffer);
    ASSERT_EQ(sd.bandwidths.size(), 1u);
    EXPECT_EQ(sd.bandwidths[0], (Bandwidth{"AS", 2048}));
    ASSERT_EQ(sd.media.size(), 2u);
    const auto& audio = sd.media[0];
    EXPECT_EQ(audio.rtpMap(96), (RtpMap{96, "opus", 48000, "2"}));
    EXPECT_EQ(audio.fmtp(96u)->parameters, "useinbandfec=1;minptime=10");
    const auto& video = sd.media[1];
    EXPECT_EQ(video.media, "video");
    EXPECT_EQ(video.port, 5006);
    EXPECT_EQ(video.proto, "RTP/AVPF");
    EXPECT_EQ(video.bandwidths,
              (std::vector<Bandwidth>{Bandwidth{"AS", 1920}, Bandwidth{"TIAS", 1920000}}));
    EXPECT_EQ(video.rtpMap(97), (RtpMap{97, "H264", 90000, std::nullopt}));
    EXPECT_EQ(video.fmtp(97u), (Fmtp{"97", "profile-level-id=42e01f;packetization-mode=1"}));
    EXPECT_EQ(video.fmtp("98"), (Fmtp{"98", "profile-level-id=42e01f;packetization-mode=0"}));
    EXPECT_EQ(video.attributes.values("rtcp-fb"),
              (std::vector<std::string>{"97 nack pli", "97 ccm fir"}));
}

TEST(SdpModel, SrtpOfferWithTwoCryptoLines) {
    auto sd = parseOk(kSrtpOffer);
    EXPECT_EQ(sd.information, "A discussion about Secure RTP");
    EXPECT_EQ(sd.uri, "http://www.example.com/seminars/srtp.pdf");
    EXPECT_EQ(sd.emails, (std::vector<std::string>{"marge@example.com (Marge Simpson)"}));
    EXPECT_EQ(sd.phones, (std::vector<std::string>{"+1 617 555-6011"}));
    ASSERT_EQ(sd.timings.size(), 1u);
    EXPECT_EQ(sd.timings[0].start, "2873397496");
    EXPECT_EQ(sd.timings[0].repeats, (std::vector<std::string>{"7d 1h 0 25h"}));
    EXPECT_EQ(sd.timings[0].zone, "2882844526 -1h 2898848070 0");
    const auto& m = sd.media.at(0);
    EXPECT_EQ(m.proto, "RTP/SAVP");

    auto cryptos = m.cryptos();
    ASSERT_EQ(cryptos.size(), 2u);
    EXPECT_EQ(cryptos[0].tag, 1u);
    EXPECT_EQ(cryptos[0].suite, "AES_CM_128_HMAC_SHA1_80");
    ASSERT_EQ(cryptos[0].keyParams.size(), 1u);
    const auto& k0 = cryptos[0].keyParams[0];
    EXPECT_EQ(k0.method, "inline");
    EXPECT_EQ(k0.keySalt, "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzcyAoc2VuZGVyICMyLS2QT");
    EXPECT_EQ(k0.lifetime, "2^20");
    EXPECT_EQ(k0.mkiValue, "1");
    EXPECT_EQ(k0.mkiLength, 4u);
    EXPECT_EQ(cryptos[0].sessionParams, (std::vector<std::string>{"FEC_ORDER=FEC_SRTP"}));

    EXPECT_EQ(cryptos[1].tag, 2u);
    EXPECT_EQ(cryptos[1].suite, "AES_CM_128_HMAC_SHA1_32");
    EXPECT_EQ(cryptos[1].keyParams.at(0).keySalt, "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj");
    EXPECT_EQ(cryptos[1].keyParams.at(0).mkiLength, 32u);
    EXPECT_TRUE(cryptos[1].sessionParams.empty());

    // The typed view serializes back to the attribute value.
    auto values = m.attributes.values("crypto");
    ASSERT_EQ(values.size(), 2u);
    EXPECT_EQ(cryptos[0].toString(), values[0]);
    EXPECT_EQ(cryptos[1].toString(), values[1]);
}

TEST(SdpModel, CryptoVariants) {
    auto c = Crypto::parse(
        "7 AES_256_CM_HMAC_SHA1_80 inline:a2V5a2V5|1048576;inline:a2V5MjI=|7:2 "
        "KDR=1 UNENCRYPTED_SRTCP");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->tag, 7u);
    ASSERT_EQ(c->keyParams.size(), 2u);
    EXPECT_EQ(c->keyParams[0].lifetime, "1048576");
    EXPECT_EQ(c->keyParams[0].mkiValue, std::nullopt);
    EXPECT_EQ(c->keyParams[1].lifetime, std::nullopt);
    EXPECT_EQ(c->keyParams[1].mkiValue, "7");
    EXPECT_EQ(c->keyParams[1].mkiLength, 2u);
    EXPECT_EQ(c->sessionParams, (std::vector<std::string>{"KDR=1", "UNENCRYPTED_SRTCP"}));
    EXPECT_EQ(c->toString(),
              "7 AES_256_CM_HMAC_SHA1_80 inline:a2V5a2V5|1048576;inline:a2V5MjI=|7:2 "
              "KDR=1 UNENCRYPTED_SRTCP");
    EXPECT_EQ(Crypto::parse("1 AES_CM_128_HMAC_SHA1_80"), std::nullopt);
    EXPECT_EQ(Crypto::parse("1234567890 AES_CM_128_HMAC_SHA1_80 inline:YQ=="), std::nullopt);
    EXPECT_EQ(Crypto::parse("1 AES_CM_128_HMAC_SHA1_80 inline:YQ==|1:200"), std::nullopt);
    EXPECT_EQ(Crypto::parse("1 AES_CM_128_HMAC_SHA1_80 inline:YQ==|1:4|2^20"), std::nullopt);
    EXPECT_EQ(Crypto::parse("1 AES-CM inline:YQ=="), std::nullopt);
}

TEST(SdpModel, WebRtcOfferIce) {
    auto sd = parseOk(kWebRtcOffer);
    EXPECT_EQ(sd.origin.sessionId, "4611731400430051336");
    EXPECT_EQ(sd.connection, std::nullopt);
    EXPECT_EQ(sd.attributes.value("ice-options"), "trickle");
    EXPECT_EQ(sd.attributes.value("msid-semantic"), " WMS stream0");
    EXPECT_FALSE(sd.isIceLite());
    ASSERT_EQ(sd.media.size(), 2u);
    const auto& audio = sd.media[0];
    EXPECT_EQ(audio.proto, "UDP/TLS/RTP/SAVPF");
    EXPECT_TRUE(audio.isRtp());
    EXPECT_TRUE(audio.hasRtcpMux());
    EXPECT_EQ(audio.attributes.value("ice-ufrag"), "EsAw");
    EXPECT_EQ(audio.attributes.value("ice-pwd"), "P2uYro0UCOQ4zxjKXaWCBui1");
    EXPECT_EQ(audio.rtcp(), (Rtcp{9, Connection{"IN", "IP4", "0.0.0.0", {}, {}}}));
    EXPECT_EQ(sd.effectiveConnection(audio)->address, "203.0.113.77");

    auto cands = audio.candidates();
    ASSERT_EQ(cands.size(), 5u);
    EXPECT_EQ(cands[0].foundation, "1467250027");
    EXPECT_EQ(cands[0].component, 1u);
    EXPECT_EQ(cands[0].transport, "udp");
    EXPECT_EQ(cands[0].priority, 2122260223u);
    EXPECT_EQ(cands[0].address, "192.168.1.20");
    EXPECT_EQ(cands[0].port, 54321);
    EXPECT_EQ(cands[0].type, "host");
    EXPECT_EQ(cands[1].address, "2001:db8:85a3::8a2e:370:7334");
    EXPECT_EQ(cands[1].port, 54322);
    EXPECT_EQ(cands[2].type, "srflx");
    EXPECT_EQ(cands[2].relatedAddress, "192.168.1.20");
    EXPECT_EQ(cands[2].relatedPort, 54321);
    using Ext = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(cands[2].extensions, (Ext{{"generation", "0"}, {"network-cost", "999"}}));
    EXPECT_EQ(cands[3].address, "0f3c52b8-5a3e-4d7c-9b1e-2a1f7d7c8e9a.local");
    EXPECT_EQ(cands[4].transport, "tcp");
    EXPECT_EQ(cands[4].extensions, (Ext{{"tcptype", "active"}, {"generation", "0"}}));
    auto candValues = audio.attributes.values("candidate");
    for (std::size_t i = 0; i < cands.size(); ++i) {
        EXPECT_EQ(cands[i].toString(), candValues[i]);
    }
    EXPECT_TRUE(audio.attributes.has("end-of-candidates"));

    const auto& video = sd.media[1];
    EXPECT_EQ(video.direction(), Direction::kRecvOnly);
    EXPECT_EQ(video.fmtp(97u), (Fmtp{"97", "apt=96"}));
    EXPECT_TRUE(video.candidates().empty());
}

TEST(SdpModel, RemoveIceAttributes) {
    auto sd = parseOk(kWebRtcOffer);
    // session: ice-options; audio: 5 candidates, ufrag, pwd, end-of-candidates; video: ufrag, pwd.
    EXPECT_EQ(sd.removeIceAttributes(), 1u + 8u + 2u);
    EXPECT_FALSE(sd.attributes.has("ice-options"));
    for (const auto& m : sd.media) {
        for (const auto& a : m.attributes) {
            EXPECT_FALSE(isIceAttribute(a.name)) << a.name;
        }
        EXPECT_TRUE(m.hasRtcpMux());
        EXPECT_TRUE(m.attributes.has("fingerprint"));
    }
    EXPECT_EQ(sd.removeIceAttributes(), 0u);
    EXPECT_TRUE(isIceAttribute("ice-lite"));
    EXPECT_TRUE(isIceAttribute("remote-candidates"));
    EXPECT_FALSE(isIceAttribute("rtcp-mux"));
}

TEST(SdpModel, Ipv6RtcpDirectionsAndRejectedStreams) {
    auto sd = parseOk(kIpv6Offer);
    EXPECT_EQ(sd.origin.addrType, "IP6");
    EXPECT_EQ(sd.origin.address, "2001:db8::2");
    ASSERT_TRUE(sd.connection.has_value());
    EXPECT_TRUE(sd.connection->isIp6());
    EXPECT_EQ(sd.connection->address, "2001:db8::2");
    EXPECT_EQ(sd.direction(), Direction::kSendOnly);
    ASSERT_EQ(sd.media.size(), 4u);

    const auto& a1 = sd.media[0];
    auto rtcp = a1.rtcp();
    ASSERT_TRUE(rtcp.has_value());
    EXPECT_EQ(rtcp->port, 53021);
    ASSERT_TRUE(rtcp->connection.has_value());
    EXPECT_EQ(rtcp->connection->addrType, "IP6");
    EXPECT_EQ(rtcp->connection->address, "2001:db8::1");
    EXPECT_EQ(rtcp->toString(), "53021 IN IP6 2001:db8::1");
    EXPECT_EQ(a1.direction(), std::nullopt);
    EXPECT_EQ(sd.effectiveDirection(a1), Direction::kSendOnly);  // inherited from session
    EXPECT_EQ(sd.effectiveConnection(a1), &*sd.connection);      // session-level c=

    const auto& a2 = sd.media[1];
    EXPECT_EQ(sd.effectiveDirection(a2), Direction::kRecvOnly);
    ASSERT_NE(sd.effectiveConnection(a2), nullptr);
    EXPECT_EQ(sd.effectiveConnection(a2)->address, "192.0.2.33");  // media-level c= wins
    EXPECT_EQ(sd.effectiveConnection(a2)->addrType, "IP4");

    const auto& video = sd.media[2];
    EXPECT_TRUE(video.isRejected());
    EXPECT_EQ(video.port, 0);
    EXPECT_EQ(sd.effectiveDirection(video), Direction::kInactive);

    const auto& bfcp = sd.media[3];
    EXPECT_TRUE(bfcp.isRejected());
    EXPECT_FALSE(bfcp.isRtp());
    EXPECT_EQ(bfcp.formats, (std::vector<std::string>{"*"}));
}

TEST(SdpModel, DefaultDirectionIsSendRecv) {
    auto sd = parseOk(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n"));
    EXPECT_EQ(sd.direction(), std::nullopt);
    EXPECT_EQ(sd.effectiveDirection(sd.media[0]), Direction::kSendRecv);
    EXPECT_EQ(sd.effectiveConnection(sd.media[0]), nullptr);
}

TEST(SdpModel, SetDirectionReplacesInPlace) {
    auto sd =
        parseOk(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n"
                     "m=audio 1 RTP/AVP 0\na=ptime:20\na=sendrecv\na=label:x\na=inactive\n"));
    auto& m = sd.media[0];
    m.setDirection(Direction::kSendOnly);
    EXPECT_EQ(m.attributes, (AttributeList{{"ptime", "20"}, {"sendonly", {}}, {"label", "x"}}));
    sd.setDirection(Direction::kInactive);
    EXPECT_EQ(sd.attributes, (AttributeList{{"inactive", {}}}));
    EXPECT_EQ(toString(Direction::kRecvOnly), "recvonly");
    EXPECT_EQ(directionFromString("sendonly"), Direction::kSendOnly);
    EXPECT_EQ(directionFromString("SENDONLY"), std::nullopt);
}

TEST(SdpModel, AttributeListOperations) {
    AttributeList l{{"a", "1"}, {"b", {}}, {"a", "2"}, {"c", "3"}};
    EXPECT_TRUE(l.has("b"));
    EXPECT_EQ(l.value("b"), "");
    EXPECT_EQ(l.value("zz"), std::nullopt);
    EXPECT_EQ(l.values("a"), (std::vector<std::string>{"1", "2"}));
    l.set("a", "9");
    EXPECT_EQ(l, (AttributeList{{"a", "9"}, {"b", {}}, {"c", "3"}}));
    l.set("d", "4");
    l.add("b", "x");
    EXPECT_EQ(l.remove("b"), 2u);
    EXPECT_EQ(l, (AttributeList{{"a", "9"}, {"c", "3"}, {"d", "4"}}));
}

TEST(SdpModel, OriginHelpers) {
    Origin o = *Origin::parse("- 42 199 IN IP4 10.0.0.1");
    EXPECT_TRUE(o.incrementVersion());
    EXPECT_EQ(o.sessionVersion, "200");
    o.sessionVersion = "999";
    EXPECT_TRUE(o.incrementVersion());
    EXPECT_EQ(o.sessionVersion, "1000");
    o.sessionVersion = "18446744073709551615";  // beyond 64 bits keeps working
    EXPECT_TRUE(o.incrementVersion());
    EXPECT_EQ(o.sessionVersion, "18446744073709551616");
    EXPECT_TRUE(o.setAddress("2001:db8::5"));
    EXPECT_EQ(o.toString(), "- 42 18446744073709551616 IN IP6 2001:db8::5");
    EXPECT_FALSE(o.setAddress("not-an-ip"));
    EXPECT_EQ(o.address, "2001:db8::5");
    EXPECT_EQ(Origin::parse("- 42 1 IN IP4"), std::nullopt);
    EXPECT_EQ(Origin::parse("- x 1 IN IP4 10.0.0.1"), std::nullopt);
    EXPECT_EQ(Origin::parse("- 1 1 IN IP4 host.example.com")->address, "host.example.com");
}

TEST(SdpModel, ConnectionHelpers) {
    EXPECT_EQ(Connection::fromAddress("192.0.2.1"),
              (Connection{"IN", "IP4", "192.0.2.1", std::nullopt, std::nullopt}));
    EXPECT_EQ(Connection::fromAddress("2001:db8::1"),
              (Connection{"IN", "IP6", "2001:db8::1", std::nullopt, std::nullopt}));
    EXPECT_EQ(Connection::fromAddress("example.com"), std::nullopt);
    EXPECT_EQ(Connection::fromAddress("256.1.1.1"), std::nullopt);
    EXPECT_EQ(Connection::parse("IN IP4 2001:db8::1"), std::nullopt);  // family mismatch
    EXPECT_EQ(Connection::parse("IN IP6 ff15::1/3/4"), std::nullopt);  // no TTL for IP6
    EXPECT_EQ(Connection::parse("IN IP4 224.2.1.1/256"), std::nullopt);
    EXPECT_EQ(Connection::parse("IN IP4 224.2.1.1/127/2")->toString(), "IN IP4 224.2.1.1/127/2");
}

TEST(SdpModel, RtpMapAndFmtpParsing) {
    EXPECT_EQ(RtpMap::parse("111 opus/48000/2"), (RtpMap{111, "opus", 48000, "2"}));
    EXPECT_EQ(RtpMap::parse("111 opus/48000/2")->toString(), "111 opus/48000/2");
    EXPECT_EQ(RtpMap::parse("128 foo/8000"), std::nullopt);
    EXPECT_EQ(RtpMap::parse("0 PCMU"), std::nullopt);
    EXPECT_EQ(RtpMap::parse("0 PCMU/0"), std::nullopt);
    EXPECT_EQ(RtpMap::parse("0 PCMU/8000/1/2"), std::nullopt);
    EXPECT_EQ(Fmtp::parse("101 0-15"), (Fmtp{"101", "0-15"}));
    EXPECT_EQ(Fmtp::parse("101"), (Fmtp{"101", ""}));
    EXPECT_EQ(Fmtp::parse(" 0-15"), std::nullopt);
}

// ---- The B2BUA rewrite --------------------------------------------------------------------------

TEST(SdpRewrite, RelayAddressPortsAndNoIce) {
    auto sd = parseOk(kWebRtcOffer);
    ASSERT_TRUE(sd.origin.setAddress("198.51.100.1"));
    ASSERT_TRUE(sd.origin.incrementVersion());
    ASSERT_TRUE(sd.setConnectionAddress("198.51.100.1"));
    sd.removeIceAttributes();
    sd.attributes.remove("group");
    sd.media[0].setPort(30000);
    sd.media[0].setRtcp(Rtcp{30001, Connection::fromAddress("198.51.100.1")});
    sd.media[1].reject();
    EXPECT_FALSE(sd.setConnectionAddress("relay.example.com"));  // literals only

    EXPECT_EQ(serialize(sd), crlf("v=0\n"
                                  "o=- 4611731400430051336 3 IN IP4 198.51.100.1\n"
                                  "s=-\n"
                                  "t=0 0\n"
                                  "a=msid-semantic: WMS stream0\n"
                                  "m=audio 30000 UDP/TLS/RTP/SAVPF 111 9 0 8 126\n"
                                  "c=IN IP4 198.51.100.1\n"
                                  "a=rtcp:30001 IN IP4 198.51.100.1\n"
                                  "a=fingerprint:" +
                                  kFingerprint +
                                  "\n"
                                  "a=setup:actpass\n"
                                  "a=mid:0\n"
                                  "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\n"
                                  "a=sendrecv\n"
                                  "a=rtcp-mux\n"
                                  "a=rtpmap:111 opus/48000/2\n"
                                  "a=rtcp-fb:111 transport-cc\n"
                                  "a=fmtp:111 minptime=10;useinbandfec=1\n"
                                  "a=rtpmap:9 G722/8000\n"
                                  "a=rtpmap:0 PCMU/8000\n"
                                  "a=rtpmap:8 PCMA/8000\n"
                                  "a=rtpmap:126 telephone-event/8000\n"
                                  "a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6\n"
                                  "m=video 0 UDP/TLS/RTP/SAVPF 96 97\n"
                                  "c=IN IP4 198.51.100.1\n"
                                  "a=rtcp:9 IN IP4 0.0.0.0\n"
                                  "a=fingerprint:" +
                                  kFingerprint +
                                  "\n"
                                  "a=setup:actpass\n"
                                  "a=mid:1\n"
                                  "a=recvonly\n"
                                  "a=rtcp-mux\n"
                                  "a=rtcp-rsize\n"
                                  "a=rtpmap:96 VP8/90000\n"
                                  "a=rtpmap:97 rtx/90000\n"
                                  "a=fmtp:97 apt=96\n"));
}

TEST(SdpRewrite, SessionLevelConnectionToIpv6) {
    auto sd = parseOk(kIpv6Offer);
    ASSERT_TRUE(sd.setConnectionAddress("2001:db8::99"));
    sd.media[0].setPort(40000);
    sd.media[1].setPort(40002);
    sd.media[0].setRtcp(Rtcp{40001, std::nullopt});
    EXPECT_EQ(serialize(sd), crlf("v=0\n"
                                  "o=carol 28908764872 28908764872 IN IP6 2001:db8::2\n"
                                  "s=-\n"
                                  "c=IN IP6 2001:db8::99\n"
                                  "t=0 0\n"
                                  "a=sendonly\n"
                                  "m=audio 40000 RTP/AVP 0 8\n"
                                  "a=rtcp:40001\n"
                                  "m=audio 40002 RTP/AVP 0\n"
                                  "c=IN IP6 2001:db8::99\n"
                                  "a=recvonly\n"
                                  "m=video 0 RTP/AVP 31\n"
                                  "a=inactive\n"
                                  "m=application 0 UDP/BFCP *\n"));
}

TEST(SdpRewrite, AddsSessionConnectionWhenMediaLacksOne) {
    auto sd =
        parseOk(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n"
                     "m=audio 1 RTP/AVP 0\nm=audio 2 RTP/AVP 0\nc=IN IP4 192.0.2.2\n"));
    ASSERT_TRUE(sd.setConnectionAddress("192.0.2.9"));
    EXPECT_EQ(sd.effectiveConnection(sd.media[0])->address, "192.0.2.9");
    EXPECT_EQ(sd.effectiveConnection(sd.media[1])->address, "192.0.2.9");
    EXPECT_EQ(sd.media[1].connections.size(), 1u);
    auto m = sd.media[1];
    ASSERT_TRUE(m.setConnectionAddress("::1"));
    EXPECT_EQ(m.connections, (std::vector<Connection>{*Connection::fromAddress("::1")}));
    EXPECT_FALSE(m.setConnectionAddress("1.2.3"));
}

TEST(SdpRewrite, SerializerDropsLineBreaksInValues) {
    SessionDescription sd;
    sd.origin = *Origin::parse("- 1 1 IN IP4 192.0.2.1");
    sd.sessionName = "evil\r\nm=audio 1 RTP/AVP 0";
    sd.timings.push_back(Timing{});
    sd.attributes.add("tool", std::string("x\ny"));
    EXPECT_EQ(serialize(sd), crlf("v=0\n"
                                  "o=- 1 1 IN IP4 192.0.2.1\n"
                                  "s=evilm=audio 1 RTP/AVP 0\n"
                                  "t=0 0\n"
                                  "a=tool:xy\n"));
}

// ---- Malformed input ----------------------------------------------------------------------------

const std::string kHeader = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n";  // lines 1-4

struct BadCase {
    const char* name;
    std::string body;  // '\n' line ends, converted to CRLF
    ErrorCode code;
    std::size_t line;
};

void PrintTo(const BadCase& c, std::ostream* os) {
    *os << c.name;
}

class SdpMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(SdpMalformed, ReportsCodeAndLine) {
    const auto& c = GetParam();
    auto err = parseFails(crlf(c.body));
    EXPECT_EQ(err.code, c.code) << toString(err.code) << ": " << err.message;
    EXPECT_EQ(err.line, c.line) << err.message;
    std::string prefix = "line " + std::to_string(c.line) + ": ";
    EXPECT_EQ(err.message.rfind(prefix, 0), 0u) << err.message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SdpMalformed,
    ::testing::Values(
        BadCase{"BadPort", kHeader + "m=audio 70000 RTP/AVP 0\n", ErrorCode::kBadPort, 5},
        BadCase{"NegativePort", kHeader + "m=audio -1 RTP/AVP 0\n", ErrorCode::kBadPort, 5},
        BadCase{"BadPortCount", kHeader + "m=audio 5000/0 RTP/AVP 0\n", ErrorCode::kBadPort, 5},
        BadCase{"MissingVersion", "o=- 1 1 IN IP4 192.0.2.1\ns=-\n", ErrorCode::kMissingVersion, 1},
        BadCase{"BadVersion", "v=1\no=- 1 1 IN IP4 192.0.2.1\ns=-\n", ErrorCode::kBadVersion, 1},
        BadCase{"SecondVersion", kHeader + "v=0\n", ErrorCode::kMisplacedField, 5},
        BadCase{"GarbageLine", kHeader + "hello world\n", ErrorCode::kMalformedLine, 5},
        BadCase{"SpaceBeforeEquals", "v=0\no =- 1 1 IN IP4 192.0.2.1\n", ErrorCode::kMalformedLine,
                2},
        BadCase{"EmptyLineInside", "v=0\n\no=- 1 1 IN IP4 192.0.2.1\n", ErrorCode::kMalformedLine,
                2},
        BadCase{"UnknownType", kHeader + "x=whatever\n", ErrorCode::kUnknownLineType, 5},
        BadCase{"MissingOrigin", "v=0\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\n",
                ErrorCode::kMissingOrigin, 4},
        BadCase{"MissingSessionName", "v=0\no=- 1 1 IN IP4 192.0.2.1\nt=0 0\n",
                ErrorCode::kMissingSessionName, 3},
        BadCase{"DuplicateOrigin", "v=0\no=- 1 1 IN IP4 192.0.2.1\no=- 1 1 IN IP4 192.0.2.1\n",
                ErrorCode::kDuplicateField, 3},
        BadCase{"OriginInMedia", kHeader + "m=audio 1 RTP/AVP 0\no=- 1 1 IN IP4 192.0.2.1\n",
                ErrorCode::kMisplacedField, 6},
        BadCase{"RepeatWithoutTime", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nr=7d 1h 0\n",
                ErrorCode::kMisplacedField, 4},
        BadCase{"BadOriginSessId", "v=0\no=- abc 1 IN IP4 192.0.2.1\n", ErrorCode::kBadOrigin, 2},
        BadCase{"TruncatedConnection", kHeader + "c=IN IP4\n", ErrorCode::kBadConnection, 5},
        BadCase{"TruncatedMedia", kHeader + "m=audio 49170\n", ErrorCode::kBadMedia, 5},
        BadCase{"BadAddrType", kHeader + "c=IN IP5 192.0.2.1\n", ErrorCode::kBadConnection, 5},
        BadCase{"Ip6AddressAsIp4", kHeader + "c=IN IP4 2001:db8::1\n", ErrorCode::kBadConnection,
                5},
        BadCase{"BadIp4Address", kHeader + "c=IN IP4 192.0.2.300\n", ErrorCode::kBadConnection, 5},
        BadCase{"BadIp6Address", kHeader + "c=IN IP6 2001:db8:::1\n", ErrorCode::kBadConnection, 5},
        BadCase{"BadBandwidth", kHeader + "b=AS:fast\n", ErrorCode::kBadBandwidth, 5},
        BadCase{"BadTiming", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=now\n", ErrorCode::kBadTiming,
                4},
        BadCase{"BadRtpPayloadType", kHeader + "m=audio 1 RTP/AVP 0 200\n", ErrorCode::kBadMedia,
                5},
        BadCase{"BadRtpmapPayloadType", kHeader + "m=audio 1 RTP/AVP 0\na=rtpmap:128 foo/8000\n",
                ErrorCode::kBadRtpmap, 6},
        BadCase{"RtpmapWithoutClock", kHeader + "m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU\n",
                ErrorCode::kBadRtpmap, 6},
        BadCase{"RtpmapWithoutValue", kHeader + "m=audio 1 RTP/AVP 0\na=rtpmap\n",
                ErrorCode::kBadRtpmap, 6},
        BadCase{"BadFmtp", kHeader + "m=audio 1 RTP/AVP 0\na=fmtp: 0-15\n", ErrorCode::kBadFmtp, 6},
        BadCase{"BadCryptoKey",
                kHeader + "m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!\n",
                ErrorCode::kBadCrypto, 6},
        BadCase{"CryptoWithoutKey",
                kHeader + "m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80\n",
                ErrorCode::kBadCrypto, 6},
        BadCase{
            "CryptoBadMki",
            kHeader + "m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:0\n",
            ErrorCode::kBadCrypto, 6},
        BadCase{"BadRtcpPort", kHeader + "m=audio 1 RTP/AVP 0\na=rtcp:65536\n", ErrorCode::kBadRtcp,
                6},
        BadCase{"BadRtcpAddress", kHeader + "m=audio 1 RTP/AVP 0\na=rtcp:53021 IN IP6 1.2.3.4\n",
                ErrorCode::kBadRtcp, 6},
        BadCase{"BadCandidate",
                kHeader + "m=audio 1 RTP/AVP 0\na=candidate:1 1 udp 1 192.0.2.1 99999 typ host\n",
                ErrorCode::kBadCandidate, 6},
        BadCase{"CandidateOddExtension",
                kHeader + "m=audio 1 RTP/AVP 0\na=candidate:1 1 udp 1 192.0.2.1 9 typ host gen\n",
                ErrorCode::kBadCandidate, 6},
        BadCase{"BadAttributeName", kHeader + "a=bad name:x\n", ErrorCode::kBadAttribute, 5},
        BadCase{"EmptyAttributeName", kHeader + "a=:x\n", ErrorCode::kBadAttribute, 5},
        BadCase{"NulByte", kHeader + std::string("s=a\0b\n", 6), ErrorCode::kNulByte, 5},
        BadCase{"StrayCr", kHeader + "a=x\ry\n", ErrorCode::kMalformedLine, 5}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

// Builds kHeader plus `count` copies of `line`.
std::string repeated(std::string_view line, std::size_t count) {
    std::string body = crlf(kHeader);
    for (std::size_t i = 0; i < count; ++i) {
        body += line;
    }
    return body;
}

TEST(SdpLimits, TooManyMediaLines) {
    EXPECT_TRUE(parse(repeated("m=audio 1 RTP/AVP 0\r\n", 64)).ok());
    auto err = parseFails(repeated("m=audio 1 RTP/AVP 0\r\n", 65));
    EXPECT_EQ(err.code, ErrorCode::kTooManyMedia);
    EXPECT_EQ(err.line, 4u + 65u);
    EXPECT_EQ(err.message, "line 69: more than 64 m= lines");
}

TEST(SdpLimits, TooManyAttributes) {
    EXPECT_TRUE(parse(repeated("a=x\r\n", 256)).ok());
    auto err = parseFails(repeated("a=x\r\n", 257));
    EXPECT_EQ(err.code, ErrorCode::kTooManyAttributes);
    EXPECT_EQ(err.line, 4u + 257u);
    // The limit is per section: a media section starts a fresh count.
    std::string body = repeated("a=x\r\n", 256) + "m=audio 1 RTP/AVP 0\r\n";
    for (int i = 0; i < 256; ++i) {
        body += "a=y\r\n";
    }
    EXPECT_TRUE(parse(body).ok());
}

TEST(SdpLimits, TooManyRepeatedFields) {
    auto err = parseFails(repeated("b=AS:1\r\n", 33));
    EXPECT_EQ(err.code, ErrorCode::kTooManyFields);
    EXPECT_EQ(err.line, 37u);
}

TEST(SdpLimits, OversizeBody) {
    std::string body = crlf(kHeader) + "a=pad:" + std::string(4000, 'x') + "\r\n";
    while (body.size() <= 64 * 1024) {
        body += "a=pad:" + std::string(4000, 'x') + "\r\n";
    }
    auto err = parseFails(body);
    EXPECT_EQ(err.code, ErrorCode::kBodyTooLarge);
    EXPECT_EQ(err.line, 0u);
    EXPECT_EQ(err.message.rfind("body: ", 0), 0u) << err.message;
    Limits big;
    big.maxBodySize = body.size();
    EXPECT_TRUE(parse(body, big).ok());
}

TEST(SdpLimits, LineTooLong) {
    auto err = parseFails(crlf(kHeader) + "a=pad:" + std::string(4091, 'x') + "\r\n");
    EXPECT_EQ(err.code, ErrorCode::kLineTooLong);
    EXPECT_EQ(err.line, 5u);
    EXPECT_TRUE(parse(crlf(kHeader) + "a=pad:" + std::string(4090, 'x') + "\r\n").ok());
}

TEST(SdpErrors, EmptyBodyAndMessages) {
    auto err = parseFails("");
    EXPECT_EQ(err.code, ErrorCode::kMissingVersion);
    EXPECT_EQ(err.line, 1u);
    err = parseFails("\r\n");
    EXPECT_EQ(err.code, ErrorCode::kMissingVersion);
    err = parseFails(crlf(kHeader + "m=audio 70000 RTP/AVP 0\n"));
    EXPECT_EQ(err.message, "line 5: m= port '70000' is not in 0..65535");
    err = parseFails(crlf(kHeader + std::string("s=a\0b\n", 6)));
    EXPECT_EQ(err.message, "line 5: NUL byte at column 4");
    err = parseFails(crlf(kHeader + "\x01\x7f=\n"));
    EXPECT_EQ(err.message, "line 5: expected '<letter>=<value>', got '\\x01\\x7f='");
    EXPECT_EQ(toString(ErrorCode::kBadCrypto), "bad a=crypto");
}

}  // namespace
}  // namespace sbc::sdp
