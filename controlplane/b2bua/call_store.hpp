#pragma once
// CallStore: where established calls are kept as CallRecords, so that a restarted sbc (or, later,
// a standby node) can adopt them (DESIGN.md "Beyond one machine"). A small interface: a local
// file implementation now; a shared one (Redis) can implement the same three calls.
//
// FileCallStore: one file per call, `<call number>.json`, in a state directory (systemd's
// StateDirectory=sbc: /var/lib/sbc/calls). A put writes `.<n>.json.tmp` and renames it over the
// record, so a crash mid-write leaves the old record or the new one, never half of one. Records
// are written without fsync: they are for surviving a crash of the sbc process (the data plane
// keeps the media); a call whose machine loses power has lost its media relay too.
//
// Threading: owned by the B2BUA's io_context thread; every call is made there.
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "controlplane/b2bua/call_record.hpp"

namespace sbc::b2bua {

struct StoreError {
    std::string where;  // the record's file (or key)
    std::string message;
};

struct LoadedCalls {
    std::vector<CallRecord> records;
    std::vector<StoreError> errors;  // records refused (corrupt, truncated, over the limit)
};

class CallStore {
  public:
    virtual ~CallStore() = default;
    // Writes (or replaces) the record of record.callNumber. False when it could not be written.
    virtual bool put(const CallRecord& record) = 0;
    // Removes the record of a call (no error when there is none).
    virtual void erase(std::uint64_t callNumber) = 0;
    // Every record in the store; the ones that cannot be decoded are removed and reported.
    virtual LoadedCalls loadAll() = 0;
    // Writes that failed after put() had accepted them (stores that write later).
    virtual std::uint64_t failedWrites() const noexcept { return 0; }
};

class FileCallStore final : public CallStore {
  public:
    // Creates `directory` (one level) when missing. Throws std::runtime_error when it cannot be
    // created or is not a writable directory. At most `maxRecords` records are kept (the
    // B2BUA's maxCalls): a put of a new call beyond it fails.
    FileCallStore(std::string directory, std::size_t maxRecords);

    bool put(const CallRecord& record) override;
    void erase(std::uint64_t callNumber) override;
    LoadedCalls loadAll() override;

    const std::string& directory() const noexcept { return dir_; }
    std::size_t size() const noexcept { return known_.size(); }

  private:
    std::string pathOf(std::uint64_t callNumber) const;

    std::string dir_;
    std::size_t maxRecords_;
    std::unordered_set<std::uint64_t> known_;  // call numbers with a record on disk
};

}  // namespace sbc::b2bua
