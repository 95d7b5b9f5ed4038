#include "controlplane/transport/stream_framer.hpp"

#include <algorithm>
#include <cstring>

namespace sbc::transport {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kDoubleCrlf = "\r\n\r\n";
// An empty buffer larger than this is released.
constexpr std::size_t kKeepBufferBytes = 16 * 1024;

// Whitespace inside a (possibly folded, RFC 3261 §7.3.1) header value.
bool isValueSpace(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimValue(std::string_view s) noexcept {
    while (!s.empty() && isValueSpace(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && isValueSpace(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// RFC 3261 §7.3.1: field names are case-insensitive.
bool equalsIgnoreCase(std::string_view a, std::string_view lowerB) noexcept {
    if (a.size() != lowerB.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lowerB[i]) {
            return false;
        }
    }
    return true;
}

// RFC 3261 §7.3.3: "l" is the compact form of Content-Length.
bool isContentLengthName(std::string_view name) noexcept {
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
        name.remove_suffix(1);
    }
    return equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "l");
}

// Content-Length = 1*DIGIT (RFC 3261 §20.14). Values above `limit` report MessageTooLarge (this
// also catches values that would overflow any integer type).
FramingError parseLengthValue(std::string_view raw, std::size_t limit,
                              std::uint64_t& out) noexcept {
    std::string_view v = trimValue(raw);
    if (v.empty()) {
        return FramingError::InvalidContentLength;
    }
    std::uint64_t value = 0;
    bool tooLarge = false;
    for (char c : v) {
        if (c < '0' || c > '9') {
            return FramingError::InvalidContentLength;
        }
        if (!tooLarge) {
            value = value * 10 + static_cast<std::uint64_t>(c - '0');
            if (value > limit) {
                tooLarge = true;
            }
        }
    }
    if (tooLarge) {
        return FramingError::MessageTooLarge;
    }
    out = value;
    return FramingError::None;
}

}  // namespace

std::string_view toString(FramingError error) noexcept {
    switch (error) {
        case FramingError::None:
            return "none";
        case FramingError::MissingContentLength:
            return "missing_content_length";
        case FramingError::InvalidContentLength:
            return "invalid_content_length";
        case FramingError::ConflictingContentLength:
            return "conflicting_content_length";
        case FramingError::HeadersTooLarge:
            return "headers_too_large";
        case FramingError::MessageTooLarge:
            return "message_too_large";
    }
    return "unknown";
}

StreamFramer::StreamFramer(std::size_t maxMessageBytes)
    : maxMessageBytes_(std::max<std::size_t>(maxMessageBytes, 1)) {}

void StreamFramer::applyPending() noexcept {
    if (pending_ > 0) {
        begin_ += pending_;
        consumed_ += pending_;
        pending_ = 0;
    }
    if (begin_ == end_) {
        begin_ = 0;
        end_ = 0;
        scanFrom_ = 0;
        if (buffer_.size() > kKeepBufferBytes) {
            // An idle connection does not keep the memory of its largest message.
            std::vector<char>().swap(buffer_);
        }
    }
}

std::size_t StreamFramer::feed(std::span<const char> bytes) {
    std::span<char> space = prepare(bytes.size());
    if (!space.empty()) {
        std::memcpy(space.data(), bytes.data(), space.size());
    }
    commit(space.size());
    return space.size();
}

std::span<char> StreamFramer::prepare(std::size_t wanted) {
    applyPending();
    prepared_ = 0;
    if (failed()) {
        return {};
    }
    const std::size_t held = end_ - begin_;
    const std::size_t n = std::min(wanted, maxMessageBytes_ - held);
    if (n == 0) {
        return {};
    }
    if (end_ + n > buffer_.size()) {
        if (begin_ > 0) {
            // Compact only when the tail is too short: amortised, and bounded by one message.
            std::memmove(buffer_.data(), buffer_.data() + begin_, held);
            scanFrom_ -= std::min(scanFrom_, begin_);
            begin_ = 0;
            end_ = held;
        }
        if (end_ + n > buffer_.size()) {
            // end_ + n <= maxMessageBytes_ here, so the buffer never exceeds the bound.
            const std::size_t grown =
                std::max(end_ + n, std::min(buffer_.size() * 2, maxMessageBytes_));
            buffer_.resize(grown);
        }
    }
    prepared_ = n;
    return {buffer_.data() + end_, n};
}

void StreamFramer::commit(std::size_t n) {
    n = std::min(n, prepared_);
    prepared_ = 0;
    end_ += n;
    accepted_ += n;
}

FrameResult StreamFramer::fail(FramingError error) noexcept {
    error_ = error;
    return FrameResult{FrameResult::Kind::Error, {}, error};
}

FramingError StreamFramer::parseContentLength(std::string_view headers,
                                              std::uint64_t& value) const {
    // Skip the start-line.
    std::size_t pos = headers.find(kCrlf);
    if (pos == std::string_view::npos) {
        return FramingError::MissingContentLength;
    }
    pos += kCrlf.size();

    bool found = false;
    std::uint64_t first = 0;
    // Value of the Content-Length header being read; extended over continuation lines.
    bool inContentLength = false;
    std::size_t valueBegin = 0;
    std::size_t valueEnd = 0;

    auto finishHeader = [&]() -> FramingError {
        if (!inContentLength) {
            return FramingError::None;
        }
        inContentLength = false;
        std::uint64_t v = 0;
        FramingError e = parseLengthValue(headers.substr(valueBegin, valueEnd - valueBegin),
                                          maxMessageBytes_, v);
        if (e != FramingError::None) {
            return e;
        }
        if (found && v != first) {
            return FramingError::ConflictingContentLength;
        }
        found = true;
        first = v;
        return FramingError::None;
    };

    while (pos < headers.size()) {
        std::size_t eol = headers.find(kCrlf, pos);
        if (eol == std::string_view::npos) {
            eol = headers.size();
        }
        std::string_view line = headers.substr(pos, eol - pos);
        if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            // RFC 3261 §7.3.1 folding: continuation of the previous header's value.
            if (inContentLength) {
                valueEnd = eol;
            }
        } else {
            if (FramingError e = finishHeader(); e != FramingError::None) {
                return e;
            }
            std::size_t colon = line.find(':');
            if (colon != std::string_view::npos && isContentLengthName(line.substr(0, colon))) {
                inContentLength = true;
                valueBegin = pos + colon + 1;
                valueEnd = eol;
            }
            // A line without a colon is malformed, but that is the SIP parser's business.
        }
        pos = eol + kCrlf.size();
    }
    if (FramingError e = finishHeader(); e != FramingError::None) {
        return e;
    }
    if (!found) {
        return FramingError::MissingContentLength;
    }
    value = first;
    return FramingError::None;
}

FrameResult StreamFramer::next() {
    applyPending();
    if (failed()) {
        return FrameResult{FrameResult::Kind::Error, {}, error_};
    }
    for (;;) {
        const std::string_view data(buffer_.data() + begin_, end_ - begin_);
        switch (state_) {
            case State::AwaitingStart: {
                if (data.empty()) {
                    return {};
                }
                if (data.starts_with(kDoubleCrlf)) {
                    // RFC 5626 §4.4.1 double-CRLF ping.
                    pending_ = kDoubleCrlf.size();
                    return FrameResult{FrameResult::Kind::Ping, {}, FramingError::None};
                }
                if (data.size() < kDoubleCrlf.size() && kDoubleCrlf.starts_with(data)) {
                    return {};  // could still become a ping
                }
                if (data.starts_with(kCrlf)) {
                    // RFC 3261 §7.5 / RFC 5626 §4.4.1: a lone CRLF (pong) is ignored.
                    begin_ += kCrlf.size();
                    consumed_ += kCrlf.size();
                    continue;
                }
                state_ = State::InHeaders;
                scanFrom_ = begin_;
                continue;
            }
            case State::InHeaders: {
                const std::size_t offset = scanFrom_ - begin_;
                const std::size_t found = data.find(kDoubleCrlf, offset);
                if (found == std::string_view::npos) {
                    if (data.size() >= maxMessageBytes_) {
                        return fail(FramingError::HeadersTooLarge);
                    }
                    // Resume the search where a "\r\n\r\n" could still start.
                    scanFrom_ = begin_ + (data.size() >= 3 ? data.size() - 3 : 0);
                    return {};
                }
                const std::size_t headerLength = found + kDoubleCrlf.size();
                std::uint64_t contentLength = 0;
                // Pass the header lines including the CRLF ending the last one.
                FramingError e =
                    parseContentLength(data.substr(0, found + kCrlf.size()), contentLength);
                if (e != FramingError::None) {
                    return fail(e);
                }
                if (contentLength > maxMessageBytes_ - std::min(headerLength, maxMessageBytes_) ||
                    headerLength > maxMessageBytes_) {
                    return fail(FramingError::MessageTooLarge);
                }
                messageLength_ = headerLength + static_cast<std::size_t>(contentLength);
                state_ = State::InBody;
                continue;
            }
            case State::InBody: {
                if (data.size() < messageLength_) {
                    return {};
                }
                pending_ = messageLength_;
                state_ = State::AwaitingStart;
                return FrameResult{FrameResult::Kind::Message, data.substr(0, messageLength_),
                                   FramingError::None};
            }
        }
    }
}

}  // namespace sbc::transport
