#pragma once
// Call detail records: one JSON object per line per finished call (DESIGN.md "CDRs").
//
// Threading: CdrWriter implementations are called on the B2BUA's io_context thread.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/media/media_service.hpp"

namespace sbc::b2bua {

using WallClock = std::chrono::system_clock;

struct CdrRecord {
    std::uint64_t id = 0;  // sbc's call number
    std::string aCallId;   // Call-ID of the inbound leg
    std::string bCallId;   // Call-ID sbc gave the outbound leg
    std::string fromTrunk;
    std::string toTrunk;
    std::string caller;       // From user of the inbound INVITE
    std::string callee;       // Request-URI user
    std::string destination;  // host:port of the last destination tried
    WallClock::time_point start;
    std::optional<WallClock::time_point> answer;
    WallClock::time_point end;
    int result = 0;      // final status of the call setup (200 when answered)
    std::string reason;  // caller_bye, callee_bye, cancelled, failed, timeout, ...
    // Per stream, the a end (inbound leg) then the b end (outbound leg), as MediaService::release.
    std::vector<media::MediaStats> media;
};

// The record as one line of JSON (no trailing newline). Times are RFC 3339 UTC with milliseconds.
std::string toJson(const CdrRecord& r);

class CdrWriter {
  public:
    virtual ~CdrWriter() = default;
    virtual void write(const CdrRecord& record) = 0;
};

// Appends lines to a file, flushed per record so that a crash loses at most the call in flight.
class FileCdrWriter final : public CdrWriter {
  public:
    // Throws std::runtime_error when the file cannot be opened for appending.
    explicit FileCdrWriter(const std::string& path);
    ~FileCdrWriter() override;
    FileCdrWriter(const FileCdrWriter&) = delete;
    FileCdrWriter& operator=(const FileCdrWriter&) = delete;

    void write(const CdrRecord& record) override;
    std::uint64_t failures() const noexcept { return failures_; }

  private:
    std::FILE* file_ = nullptr;
    std::uint64_t failures_ = 0;
};

}  // namespace sbc::b2bua
