// Fuzz target for StreamFramer: arbitrary bytes, fed in arbitrary chunks.
//
// Input layout (seeds in tests/fuzz/corpus/stream/ follow it):
//   byte 0      k = byte % 9: number of chunk-size bytes that follow byte 1
//   byte 1      maximum message size: 0 -> 65535 (the default), else 16 * byte (16..4080)
//   k bytes     chunk sizes, used cyclically (0 means 1, else the value); k == 0: one chunk
//   rest        the TCP/TLS byte stream
//
// Invariants checked (abort on violation):
//   * the framer never buffers more than the maximum, and every message fits in it;
//   * accepted == consumed + buffered, accepted <= fed, consumed grows by exactly what is returned;
//   * each message is the exact stream slice that was consumed and contains the end of headers;
//   * no livelock: when nothing is accepted, the framer has failed (errors are sticky);
//   * errors are sticky: after one, feed() takes nothing and next() keeps reporting it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "controlplane/transport/stream_framer.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using sbc::transport::FrameResult;
    using sbc::transport::StreamFramer;
    if (size < 2) {
        return 0;
    }
    const std::size_t k = data[0] % 9;
    const std::size_t max = data[1] == 0 ? StreamFramer::kDefaultMaxMessageBytes : 16u * data[1];
    if (size < 2 + k) {
        return 0;
    }
    const uint8_t* sizes = data + 2;
    const std::string_view stream(reinterpret_cast<const char*>(data + 2 + k), size - 2 - k);

    StreamFramer framer(max);
    std::size_t fed = 0;  // bytes of `stream` handed over and accepted
    std::size_t chunkIndex = 0;
    std::uint64_t consumedSeen = 0;

    while (fed < stream.size()) {
        std::size_t want = stream.size() - fed;
        if (k > 0) {
            const std::size_t s = sizes[chunkIndex++ % k];
            want = std::min<std::size_t>(want, s == 0 ? 1 : s);
        }
        const std::size_t took = framer.feed(stream.substr(fed, want));
        check(took <= want);
        fed += took;
        check(framer.acceptedBytes() == fed);
        check(framer.bufferedBytes() <= max);

        for (;;) {
            const FrameResult r = framer.next();
            check(framer.consumedBytes() + framer.bufferedBytes() == framer.acceptedBytes());
            check(framer.consumedBytes() >= consumedSeen);
            if (r.kind == FrameResult::Kind::NeedMore) {
                check(framer.bufferedBytes() < max);  // otherwise it would be an error
                break;
            }
            if (r.kind == FrameResult::Kind::Error) {
                check(framer.failed());
                check(framer.feed(stream.substr(fed)) == 0);
                check(framer.next().kind == FrameResult::Kind::Error);
                return 0;
            }
            if (r.kind == FrameResult::Kind::Ping) {
                const std::uint64_t end = framer.consumedBytes();
                check(end >= 4 && stream.substr(end - 4, 4) == "\r\n\r\n");
            } else {
                check(r.message.size() <= max);
                check(r.message.find("\r\n\r\n") != std::string_view::npos);
                const std::uint64_t end = framer.consumedBytes();
                check(end >= r.message.size());
                check(stream.substr(end - r.message.size(), r.message.size()) == r.message);
                check(r.message.substr(0, 2) != "\r\n");
            }
            consumedSeen = framer.consumedBytes();
        }
        if (took == 0) {
            // Room must exist after draining to NeedMore; taking nothing means a bug.
            check(false);
        }
    }
    return 0;
}
