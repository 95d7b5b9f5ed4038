#pragma once

// StreamFramer: cuts a SIP-over-TCP/TLS byte stream into whole SIP messages.
//
// Pure code (no Asio, no I/O, no allocation beyond its own bounded buffer), so it is unit-tested
// and fuzzed on its own (tests/transport/framer_test.cpp, stream_framer_fuzz.cpp).
//
// Rules it implements:
//  * RFC 3261 §18.3: on a stream transport the message boundary is given by Content-Length, which
//    is therefore mandatory. The header section ends at the first empty line ("\r\n\r\n"); the
//    body is exactly Content-Length octets after it. Missing, non-numeric, negative, conflicting or
//    too large values are framing errors: the stream can no longer be resynchronised, so the
//    connection must be closed.
//  * RFC 3261 §7.3.1 / §7.3.3: header names are case-insensitive, the compact form of
//    Content-Length is "l", whitespace may surround the colon, a header may be folded onto
//    continuation lines starting with SP/HTAB (handled, although nobody folds Content-Length).
//  * RFC 3261 §7.5: CRLFs before a start-line are ignored.
//  * RFC 5626 §4.4.1: a double CRLF between messages is a keep-alive "ping" that the connection
//    answers with a single CRLF "pong"; a single CRLF (a pong, or padding) is skipped silently.
//
// Bounds: a message (start-line + headers + body) may be at most maxMessageBytes long, and the
// framer never holds more than maxMessageBytes bytes: feed()/prepare() accept at most
// `maxMessageBytes - bufferedBytes()` bytes, and a full buffer without a complete message is
// always an error, so draining next() until NeedMore always makes room again.
//
// Usage (copying):
//     std::size_t used = framer.feed(chunk);   // may accept less than chunk.size()
//     for (;;) { auto r = framer.next(); if (r.kind == FrameResult::Kind::NeedMore) break; ... }
//     // then feed chunk.subspan(used) and repeat.
// Usage (zero-copy, what the connections do):
//     std::span<char> space = framer.prepare(16384);  // read from the socket into space
//     framer.commit(bytesRead);                         // then drain next()
//
// Views returned by next() stay valid until the next call to any non-const member function.
// Not thread-safe; one framer per connection.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sbc::transport {

// Why a stream could not be framed. Every error is fatal for the connection.
enum class FramingError : std::uint8_t {
    None = 0,
    MissingContentLength,      // RFC 3261 §18.3: mandatory on streams
    InvalidContentLength,      // empty, non-numeric, negative, or with trailing garbage
    ConflictingContentLength,  // two Content-Length / l headers with different values
    HeadersTooLarge,           // no end of headers within maxMessageBytes
    MessageTooLarge,           // headers + Content-Length exceed maxMessageBytes (incl. overflow)
};

// Stable lower-case name for logs and metrics labels ("missing_content_length", ...).
std::string_view toString(FramingError error) noexcept;

struct FrameResult {
    enum class Kind : std::uint8_t {
        Message,   // `message` holds one complete SIP message (headers + body)
        Ping,      // a "\r\n\r\n" keep-alive: answer with "\r\n" (RFC 5626 §4.4.1)
        NeedMore,  // feed more bytes
        Error,     // `error` says why; sticky: every later next() returns the same error
    };
    Kind kind = Kind::NeedMore;
    std::string_view message;
    FramingError error = FramingError::None;
};

class StreamFramer {
  public:
    static constexpr std::size_t kDefaultMaxMessageBytes = 65535;

    explicit StreamFramer(std::size_t maxMessageBytes = kDefaultMaxMessageBytes);

    // Copies as much of `bytes` as the bound allows and returns how many bytes were taken.
    // Returns 0 once the framer is in the error state.
    std::size_t feed(std::span<const char> bytes);

    // Returns writable space of at most min(wanted, maxMessageBytes - bufferedBytes()) bytes at the
    // end of the buffer; valid until the next non-const call. Empty in the error state.
    std::span<char> prepare(std::size_t wanted);
    // Marks the first n bytes of the last prepare() span as received (n <= its size).
    void commit(std::size_t n);

    // Extracts the next event from the buffered bytes.
    FrameResult next();

    [[nodiscard]] std::size_t maxMessageBytes() const noexcept { return maxMessageBytes_; }
    // Bytes held and not yet returned (excluding the message returned by the last next()).
    [[nodiscard]] std::size_t bufferedBytes() const noexcept { return end_ - begin_ - pending_; }
    // Totals since construction: bytes accepted by feed()/commit(), and bytes consumed as
    // messages, pings or skipped CRLFs. Invariant: consumed + buffered == accepted.
    [[nodiscard]] std::uint64_t acceptedBytes() const noexcept { return accepted_; }
    [[nodiscard]] std::uint64_t consumedBytes() const noexcept { return consumed_ + pending_; }
    [[nodiscard]] bool failed() const noexcept { return error_ != FramingError::None; }
    [[nodiscard]] FramingError error() const noexcept { return error_; }

  private:
    enum class State : std::uint8_t { AwaitingStart, InHeaders, InBody };

    void applyPending() noexcept;
    FrameResult fail(FramingError error) noexcept;
    // Parses the header section [begin_, headerEnd) for Content-Length; on success stores the
    // value.
    FramingError parseContentLength(std::string_view headers, std::uint64_t& value) const;

    std::size_t maxMessageBytes_;
    std::vector<char> buffer_;  // never larger than maxMessageBytes_
    std::size_t begin_ = 0;     // first unconsumed byte
    std::size_t end_ = 0;       // one past the last received byte
    std::size_t pending_ = 0;   // size of the message/ping returned last, consumed on next call
    std::size_t scanFrom_ = 0;  // where the search for "\r\n\r\n" resumes (InHeaders)
    std::size_t messageLength_ = 0;  // total length of the current message (InBody)
    std::size_t prepared_ = 0;       // size of the last prepare() span
    State state_ = State::AwaitingStart;
    FramingError error_ = FramingError::None;
    std::uint64_t accepted_ = 0;
    std::uint64_t consumed_ = 0;
};

}  // namespace sbc::transport
