#pragma once
// MediaService: what the B2BUA asks of the media relay (the data plane), per call.
//
// Contract between controlplane/b2bua (the caller) and controlplane/media (the implementation that
// talks to sbc-dataplane over its control channel, dataplane/README.md). Tests of the B2BUA use a
// fake; the real implementation allocates relay ports from per-side pools and programs flows.
//
// Model. A call has one MediaSession. Each SDP media line (m=) of the call is one Stream with two
// ends: the `a` end faces the side the call came from (offerer of the first offer), the `b` end
// the side it goes to. Each end has a local relay address/port pair owned by sbc (the address
// written into the SDP sent to that side) and, once known from that side's SDP, the remote
// address/port the peer announced (the data plane may latch the real one from the first packets).
//   remote A  <->  [a.local | sbc-dataplane | b.local]  <->  remote B
// RTP arriving at a.local is relayed out of b.local to remote B, and the other way round. RTCP
// uses local port + 1 unless rtcp-mux.
//
// Threading: every call is made on the io_context thread that runs the B2BUA; completion is
// synchronous from the caller's point of view (the implementation queues control messages and
// re-sends them after a data-plane restart on its own).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sbc::media {

enum class LatchMode : std::uint8_t {
    Off,        // send to the SDP address only
    AnySource,  // RFC 7362 symmetric RTP: the first packets from anywhere set the remote
    SameHost,   // latch only a new port from the SDP address (NAT keeps the address)
};

struct Address {
    std::string ip;          // textual IPv4 or IPv6 literal; empty = not known yet
    std::uint16_t port = 0;  // RTP port; 0 = not known yet / stream rejected
};

struct StreamEnd {
    std::string side;  // "outside" / "inside": the configured media side (address pool)
    Address local;     // filled by allocate(): sbc's relay address and RTP port on that side
    Address remote;    // from that side's SDP (c= + m= port); may be empty until its answer
    std::uint16_t remoteRtcpPort = 0;  // a=rtcp or remote.port + 1; 0 with rtcp-mux
    bool rtcpMux = false;
    LatchMode latch = LatchMode::AnySource;
};

struct Stream {
    StreamEnd a;
    StreamEnd b;
};

// Identifies a call's media across restarts (persisted with the call record).
using SessionId = std::uint64_t;

struct MediaStats {  // per stream end, as counted by the data plane (packets received there)
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t lost = 0;
};

class MediaService {
  public:
    virtual ~MediaService() = default;

    // Reserves relay ports for `streams` (their sides are set, remotes may be empty) and fills
    // each end's `local`. Returns nullopt when a pool is exhausted or the data plane is down
    // (the B2BUA answers 503). Stream count is the m-line count of the offer.
    virtual std::optional<SessionId> allocate(std::vector<Stream>& streams) = 0;

    // Adds streams to a session (a re-offer with more m-lines); fills their locals.
    virtual bool addStreams(SessionId id, std::vector<Stream>& streams) = 0;

    // Programs (or re-programs) the relay with the current remotes of every stream, e.g. after
    // the answer, a re-INVITE or UPDATE. Streams are matched by index. Returns false on error.
    virtual bool update(SessionId id, const std::vector<Stream>& streams) = 0;

    // Frees the ports and removes the flows; returns the final per-end stats (a then b for each
    // stream) for the CDR. Unknown ids return an empty vector.
    virtual std::vector<MediaStats> release(SessionId id) = 0;

    // The same, but `done` gets the data plane's final counters once it has answered (for the
    // CDR); an implementation without asynchronous counters calls it at once. `done` may run
    // after this call returns, on the same thread; it is called exactly once.
    using StatsHandler = std::function<void(std::vector<MediaStats>)>;
    virtual void release(SessionId id, StatsHandler done) { done(release(id)); }

    // Takes over a session of an earlier process (a call restored from its record after a
    // restart): the same id, streams and local relay ports. The implementation must never hand
    // out an adopted id again. False when it cannot (the id is live, a port is outside its pool
    // or taken, or the implementation keeps nothing across restarts).
    virtual bool adopt(SessionId /*id*/, const std::vector<Stream>& /*streams*/) { return false; }
};

}  // namespace sbc::media
