// FileCallStore on a real directory: atomic puts, erase, load with corrupt and leftover files,
// the record limit.
#include "controlplane/b2bua/call_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "controlplane/b2bua/async_call_store.hpp"
#include "tests/b2bua/temp_dir.hpp"

namespace sbc::b2bua {
namespace {

CallRecord recordNumber(std::uint64_t n) {
    CallRecord r;
    r.callNumber = n;
    r.inTrunk = "carrier";
    r.outTrunk = "pbx";
    for (LegRecord* l : {&r.a, &r.b}) {
        l->callId = "call-" + std::to_string(n) + (l == &r.a ? "a" : "b");
        l->localTag = "lt";
        l->remoteTag = "rt";
        l->localUri = "<sip:l@example.com>";
        l->remoteUri = "<sip:r@example.com>";
        l->remoteTarget = "sip:r@192.0.2.1";
        l->listenerId = 1;
        l->listenerSide = "outside";
        l->targetAddress = "192.0.2.1";
        l->targetPort = 5060;
    }
    r.media.policy[0].side = "outside";
    r.media.policy[1].side = "inside";
    r.media.origin[0].sessionId = "1";
    r.media.origin[1].sessionId = "2";
    r.cdr.aCallId = r.a.callId;
    r.cdr.bCallId = r.b.callId;
    r.cdr.start = WallClock::time_point{} + std::chrono::hours(24 * 365 * 50);
    return r;
}

void writeFile(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

bool exists(const std::string& path) {
    return std::filesystem::exists(path);
}

TEST(FileCallStore, PutReplacesEraseRemovesLoadReads) {
    test::TempDir dir;
    FileCallStore store(dir.path + "/calls", 10);  // created when missing
    CallRecord r = recordNumber(5);
    ASSERT_TRUE(store.put(r));
    r.a.localCseq = 9;
    ASSERT_TRUE(store.put(r));  // replaced
    ASSERT_TRUE(store.put(recordNumber(6)));
    EXPECT_EQ(store.size(), 2u);
    EXPECT_TRUE(exists(dir.path + "/calls/5.json"));
    // No temporary file is left behind by a completed put.
    for (const auto& e : std::filesystem::directory_iterator(dir.path + "/calls")) {
        EXPECT_FALSE(e.path().filename().string().ends_with(".tmp")) << e.path();
    }
    FileCallStore again(dir.path + "/calls", 10);  // a new process
    LoadedCalls loaded = again.loadAll();
    EXPECT_TRUE(loaded.errors.empty());
    ASSERT_EQ(loaded.records.size(), 2u);
    EXPECT_EQ(loaded.records[0].callNumber, 5u);
    EXPECT_EQ(loaded.records[0].a.localCseq, 9u);
    again.erase(5);
    EXPECT_FALSE(exists(dir.path + "/calls/5.json"));
    EXPECT_EQ(FileCallStore(dir.path + "/calls", 10).loadAll().records.size(), 1u);
}

TEST(FileCallStore, CorruptAndStrayFilesAreReportedAndRemoved) {
    test::TempDir dir;
    FileCallStore store(dir.path, 10);
    ASSERT_TRUE(store.put(recordNumber(1)));
    std::string good = encode(recordNumber(2));
    writeFile(dir.path + "/2.json", good.substr(0, good.size() / 2));  // truncated
    writeFile(dir.path + "/3.json", encode(recordNumber(4)));          // number mismatch
    writeFile(dir.path + "/4.json", std::string(70 * 1024, '{'));      // oversized
    writeFile(dir.path + "/.5.json.tmp", good);  // a put interrupted before its rename
    writeFile(dir.path + "/README", "not a record");
    ASSERT_EQ(::mkfifo((dir.path + "/6.json").c_str(), 0600), 0);  // must not hang the load
    LoadedCalls loaded = FileCallStore(dir.path, 10).loadAll();
    ASSERT_EQ(loaded.records.size(), 1u);
    EXPECT_EQ(loaded.records[0].callNumber, 1u);
    ASSERT_EQ(loaded.errors.size(), 4u);
    EXPECT_EQ(loaded.errors[0].where, dir.path + "/2.json");
    EXPECT_NE(loaded.errors[0].message.find("not JSON"), std::string::npos);
    EXPECT_EQ(loaded.errors[1].message, "call number 4 does not match the file name");
    EXPECT_EQ(loaded.errors[2].message, "larger than 65536 bytes");
    EXPECT_EQ(loaded.errors[3].message, "not a regular file");
    for (const char* gone : {"/2.json", "/3.json", "/4.json", "/.5.json.tmp", "/6.json"}) {
        EXPECT_FALSE(exists(dir.path + gone)) << gone;
    }
    EXPECT_TRUE(exists(dir.path + "/README"));
    EXPECT_TRUE(exists(dir.path + "/1.json"));
}

TEST(FileCallStore, BoundedByMaxRecords) {
    test::TempDir dir;
    FileCallStore store(dir.path, 2);
    EXPECT_TRUE(store.put(recordNumber(1)));
    EXPECT_TRUE(store.put(recordNumber(2)));
    EXPECT_FALSE(store.put(recordNumber(3)));  // full
    EXPECT_TRUE(store.put(recordNumber(2)));   // a known call may still be rewritten
    store.erase(1);
    EXPECT_TRUE(store.put(recordNumber(3)));
    // Loading more records than the limit: the extra ones are refused.
    FileCallStore bigger(dir.path, 10);
    ASSERT_TRUE(bigger.put(recordNumber(4)));
    LoadedCalls loaded = FileCallStore(dir.path, 2).loadAll();
    EXPECT_EQ(loaded.records.size(), 2u);
    ASSERT_EQ(loaded.errors.size(), 1u);
    EXPECT_EQ(loaded.errors[0].message, "more records than max_calls (2)");
}

TEST(FileCallStore, RefusesWhatIsNotAWritableDirectory) {
    test::TempDir dir;
    writeFile(dir.path + "/file", "x");
    EXPECT_THROW(FileCallStore(dir.path + "/file", 1), std::runtime_error);
    EXPECT_THROW(FileCallStore(dir.path + "/missing/deeper", 1), std::runtime_error);
    EXPECT_THROW(FileCallStore("", 1), std::runtime_error);
}

TEST(AsyncCallStore, WritesOnItsThreadCoalescesAndDrains) {
    test::TempDir dir;
    {
        AsyncCallStore store(std::make_unique<FileCallStore>(dir.path, 100), 100);
        for (std::uint64_t n = 1; n <= 50; ++n) {
            ASSERT_TRUE(store.put(recordNumber(n)));
        }
        CallRecord changed = recordNumber(7);
        changed.b.localCseq = 42;
        ASSERT_TRUE(store.put(changed));
        store.erase(3);
        store.flush();
        EXPECT_FALSE(exists(dir.path + "/3.json"));
        LoadedCalls loaded = store.loadAll();
        ASSERT_EQ(loaded.records.size(), 49u);
        EXPECT_EQ(loaded.records[5].callNumber, 7u);
        EXPECT_EQ(loaded.records[5].b.localCseq, 42u);  // the latest state won
        store.put(recordNumber(60));
        store.erase(1);
    }  // the destructor writes what is pending
    LoadedCalls after = FileCallStore(dir.path, 100).loadAll();
    EXPECT_EQ(after.records.size(), 49u);
    EXPECT_EQ(after.records.back().callNumber, 60u);
    EXPECT_EQ(after.records.front().callNumber, 2u);
}

TEST(AsyncCallStore, CountsWritesTheInnerStoreRefused) {
    test::TempDir dir;
    AsyncCallStore store(std::make_unique<FileCallStore>(dir.path, 2), 100);
    for (std::uint64_t n = 1; n <= 5; ++n) {
        EXPECT_TRUE(store.put(recordNumber(n)));  // accepted: the writer finds the store full
    }
    store.flush();
    EXPECT_EQ(store.failedWrites(), 3u);
}

}  // namespace
}  // namespace sbc::b2bua
