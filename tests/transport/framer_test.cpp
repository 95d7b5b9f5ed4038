// Unit tests for StreamFramer (RFC 3261 §18.3 framing, RFC 5626 §4.4.1 keep-alives).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "controlplane/transport/stream_framer.hpp"

namespace sbc::transport {
namespace {

using Kind = FrameResult::Kind;

std::string sipMessage(std::string_view body, std::string_view lengthHeader = "Content-Length") {
    std::string m =
        "INVITE sip:bob@example.com SIP/2.0\r\n"
        "Via: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK776asdhds\r\n"
        "To: Bob <sip:bob@example.com>\r\n"
        "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
        "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
        "CSeq: 314159 INVITE\r\n";
    m += std::string(lengthHeader) + ": " + std::to_string(body.size()) + "\r\n\r\n";
    m += body;
    return m;
}

// Everything next() yields until NeedMore or Error.
struct Drained {
    std::vector<std::string> messages;
    int pings = 0;
    FramingError error = FramingError::None;
};

void drain(StreamFramer& f, Drained& out) {
    for (;;) {
        FrameResult r = f.next();
        switch (r.kind) {
            case Kind::NeedMore:
                return;
            case Kind::Message:
                out.messages.emplace_back(r.message);
                break;
            case Kind::Ping:
                ++out.pings;
                break;
            case Kind::Error:
                out.error = r.error;
                return;
        }
    }
}

// Feeds everything (respecting the framer's bound) and drains after each chunk.
Drained feedAll(StreamFramer& f, std::string_view bytes, std::size_t chunk = SIZE_MAX) {
    Drained out;
    while (!bytes.empty() && out.error == FramingError::None) {
        std::string_view piece = bytes.substr(0, std::min(chunk, bytes.size()));
        std::size_t used = f.feed(piece);
        bytes.remove_prefix(used);
        drain(f, out);
        if (used == 0 && out.error == FramingError::None) {
            ADD_FAILURE() << "framer made no progress";
            break;
        }
    }
    return out;
}

FramingError errorOf(std::string_view bytes, std::size_t max = 65535) {
    StreamFramer f(max);
    return feedAll(f, bytes).error;
}

TEST(StreamFramer, OneMessage) {
    const std::string m = sipMessage("v=0\r\n");
    StreamFramer f;
    Drained d = feedAll(f, m);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0], m);
    EXPECT_EQ(d.error, FramingError::None);
    EXPECT_EQ(f.bufferedBytes(), 0u);
    EXPECT_EQ(f.consumedBytes(), m.size());
}

TEST(StreamFramer, MessageWithoutBody) {
    const std::string m = sipMessage("");
    StreamFramer f;
    Drained d = feedAll(f, m);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0], m);
}

TEST(StreamFramer, SeveralMessagesInOneChunk) {
    const std::string a = sipMessage("first body");
    const std::string b = sipMessage("");
    const std::string c = sipMessage("third\r\nbody\r\n");
    StreamFramer f;
    Drained d = feedAll(f, a + b + c);
    ASSERT_EQ(d.messages.size(), 3u);
    EXPECT_EQ(d.messages[0], a);
    EXPECT_EQ(d.messages[1], b);
    EXPECT_EQ(d.messages[2], c);
}

TEST(StreamFramer, SplitAtEveryByteBoundary) {
    const std::string a = sipMessage("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
    const std::string b = sipMessage("x");
    const std::string stream = a + "\r\n\r\n" + b + "\r\n";
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        StreamFramer f;
        Drained d;
        EXPECT_EQ(f.feed(std::string_view(stream).substr(0, cut)), cut);
        drain(f, d);
        EXPECT_EQ(f.feed(std::string_view(stream).substr(cut)), stream.size() - cut);
        drain(f, d);
        ASSERT_EQ(d.messages.size(), 2u) << "cut at " << cut;
        EXPECT_EQ(d.messages[0], a);
        EXPECT_EQ(d.messages[1], b);
        EXPECT_EQ(d.pings, 1) << "cut at " << cut;
        EXPECT_EQ(d.error, FramingError::None);
    }
}

TEST(StreamFramer, ByteByByte) {
    const std::string a = sipMessage("hello");
    const std::string stream = a + a + a;
    StreamFramer f;
    Drained d = feedAll(f, stream, 1);
    ASSERT_EQ(d.messages.size(), 3u);
    for (const auto& m : d.messages) {
        EXPECT_EQ(m, a);
    }
    EXPECT_EQ(f.consumedBytes(), stream.size());
}

TEST(StreamFramer, BodyWithCrlfsInside) {
    // The empty lines inside the body must not be taken for message boundaries.
    const std::string body = "\r\n\r\nv=0\r\n\r\n\r\nINVITE sip:x SIP/2.0\r\n\r\n";
    const std::string a = sipMessage(body);
    const std::string b = sipMessage("tail");
    StreamFramer f;
    Drained d = feedAll(f, a + b, 7);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0], a);
    EXPECT_EQ(d.messages[1], b);
}

TEST(StreamFramer, CompactAndCaseInsensitiveHeader) {
    for (std::string_view name : {"l", "L", "content-length", "CONTENT-LENGTH", "Content-length"}) {
        const std::string m = sipMessage("12345", name);
        StreamFramer f;
        Drained d = feedAll(f, m);
        ASSERT_EQ(d.messages.size(), 1u) << name;
        EXPECT_EQ(d.messages[0], m);
    }
}

TEST(StreamFramer, WhitespaceAroundColonAndFolding) {
    const std::string m1 = "OPTIONS sip:x SIP/2.0\r\nl \t:\t 3 \r\n\r\nabc";
    const std::string m2 = "OPTIONS sip:x SIP/2.0\r\nContent-Length:\r\n   3\r\nX: y\r\n\r\nabc";
    StreamFramer f;
    Drained d = feedAll(f, m1 + m2);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0], m1);
    EXPECT_EQ(d.messages[1], m2);
}

TEST(StreamFramer, SameContentLengthTwiceIsAccepted) {
    const std::string m = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 2\r\nl: 02\r\n\r\nab";
    StreamFramer f;
    Drained d = feedAll(f, m);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0], m);
}

TEST(StreamFramer, OtherHeadersEndingInLAreIgnored) {
    // "Call" / "Url" end in l but are not Content-Length; a header value containing "l:" neither.
    const std::string m =
        "OPTIONS sip:x SIP/2.0\r\nCall: 99\r\nX-Url: l: 77\r\nContent-Length: 1\r\n\r\nz";
    StreamFramer f;
    Drained d = feedAll(f, m);
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0], m);
}

TEST(StreamFramer, DoubleCrlfIsPing) {
    StreamFramer f;
    Drained d = feedAll(f, "\r\n\r\n");
    EXPECT_EQ(d.pings, 1);
    EXPECT_TRUE(d.messages.empty());
    EXPECT_EQ(f.bufferedBytes(), 0u);

    // Split ping.
    StreamFramer g;
    Drained e = feedAll(g, "\r\n\r\n\r\n\r\n", 1);
    EXPECT_EQ(e.pings, 2);
}

TEST(StreamFramer, SingleCrlfIsIgnored) {
    const std::string m = sipMessage("b");
    StreamFramer f;
    Drained d = feedAll(f, "\r\n");
    EXPECT_EQ(d.pings, 0);
    EXPECT_TRUE(d.messages.empty());
    d = feedAll(f, m + "\r\n" + m);
    EXPECT_EQ(d.pings, 0);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0], m);
    EXPECT_EQ(d.messages[1], m);
    EXPECT_EQ(f.consumedBytes(), 2 + 2 * m.size() + 2);
}

TEST(StreamFramer, MissingContentLength) {
    EXPECT_EQ(errorOf("OPTIONS sip:x SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n"),
              FramingError::MissingContentLength);
    // Start-line only.
    EXPECT_EQ(errorOf("OPTIONS sip:x SIP/2.0\r\n\r\n"), FramingError::MissingContentLength);
    // A Content-Length in the start-line or inside another header's name does not count.
    EXPECT_EQ(errorOf("Content-Length: 0\r\nX-Content-Length: 0\r\n\r\n"),
              FramingError::MissingContentLength);
}

TEST(StreamFramer, InvalidContentLength) {
    for (std::string_view value : {"-1", "abc", "", "1 2", "+3", "0x10", "3;x", "1.0"}) {
        std::string m =
            "OPTIONS sip:x SIP/2.0\r\nContent-Length: " + std::string(value) + "\r\n\r\nabc";
        EXPECT_EQ(errorOf(m), FramingError::InvalidContentLength) << value;
    }
}

TEST(StreamFramer, OverflowingContentLength) {
    for (std::string_view value :
         {"65536", "99999999999999999999999999999", "18446744073709551616", "4294967296"}) {
        std::string m =
            "OPTIONS sip:x SIP/2.0\r\nContent-Length: " + std::string(value) + "\r\n\r\n";
        EXPECT_EQ(errorOf(m), FramingError::MessageTooLarge) << value;
    }
}

TEST(StreamFramer, ConflictingContentLength) {
    EXPECT_EQ(errorOf("OPTIONS sip:x SIP/2.0\r\nContent-Length: 3\r\nl: 4\r\n\r\nabcd"),
              FramingError::ConflictingContentLength);
}

TEST(StreamFramer, OversizeMessage) {
    const std::size_t max = 300;
    // Headers + declared body above the bound: error as soon as the headers are complete.
    std::string body(200, 'x');
    std::string m = sipMessage(body);
    ASSERT_GT(m.size(), max);
    EXPECT_EQ(errorOf(m, max), FramingError::MessageTooLarge);

    // Exactly max bytes is fine.
    std::string header = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 000\r\n\r\n";
    std::string exact = header + std::string(max - header.size(), 'y');
    std::string lengthText = std::to_string(max - header.size());
    exact.replace(exact.find("000"), 3, lengthText);
    ASSERT_EQ(exact.size(), max);
    StreamFramer f(max);
    Drained d = feedAll(f, exact + exact);
    EXPECT_EQ(d.error, FramingError::None);
    ASSERT_EQ(d.messages.size(), 2u);
    EXPECT_EQ(d.messages[0], exact);
}

TEST(StreamFramer, EndlessHeadersAreBounded) {
    const std::size_t max = 1000;
    StreamFramer f(max);
    std::string junk(5000, 'a');
    std::size_t used = f.feed(junk);
    EXPECT_EQ(used, max);  // never buffers more than the bound
    EXPECT_LE(f.bufferedBytes(), max);
    FrameResult r = f.next();
    EXPECT_EQ(r.kind, Kind::Error);
    EXPECT_EQ(r.error, FramingError::HeadersTooLarge);
    // Sticky, and nothing more is accepted.
    EXPECT_EQ(f.feed(junk), 0u);
    EXPECT_EQ(f.next().kind, Kind::Error);
    EXPECT_TRUE(f.prepare(100).empty());
}

TEST(StreamFramer, BoundNeverExceededWhileStreaming) {
    const std::size_t max = 512;
    const std::string m = sipMessage("abc");
    ASSERT_LT(m.size(), max);
    std::string stream;
    for (int i = 0; i < 50; ++i) {
        stream += m;
    }
    StreamFramer f(max);
    Drained d;
    std::string_view rest = stream;
    while (!rest.empty()) {
        std::size_t used = f.feed(rest);
        ASSERT_GT(used, 0u);
        EXPECT_LE(f.bufferedBytes(), max);
        rest.remove_prefix(used);
        drain(f, d);
    }
    EXPECT_EQ(d.messages.size(), 50u);
    EXPECT_EQ(f.consumedBytes(), f.acceptedBytes());
}

TEST(StreamFramer, PrepareCommitZeroCopy) {
    const std::string m = sipMessage("zero-copy");
    StreamFramer f;
    std::span<char> space = f.prepare(m.size());
    ASSERT_EQ(space.size(), m.size());
    std::copy(m.begin(), m.end(), space.begin());
    f.commit(m.size());
    FrameResult r = f.next();
    ASSERT_EQ(r.kind, Kind::Message);
    EXPECT_EQ(r.message, m);
    EXPECT_EQ(f.next().kind, Kind::NeedMore);
}

TEST(StreamFramer, ErrorNames) {
    EXPECT_EQ(toString(FramingError::MissingContentLength), "missing_content_length");
    EXPECT_EQ(toString(FramingError::MessageTooLarge), "message_too_large");
}

}  // namespace
}  // namespace sbc::transport
