// Persisted calls: an established call is written to a FileCallStore; a second B2bua (a new sbc
// process: fresh transaction layer, timers and media) restores it, and the call goes on: BYE
// either way, re-INVITE, CDR, timers; corrupt records and refused media.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controlplane/b2bua/call_store.hpp"
#include "tests/b2bua/b2bua_harness.hpp"
#include "tests/b2bua/temp_dir.hpp"

namespace sbc::b2bua::test {
namespace {

struct Established {
    std::string bInvite;
    DialogView a;  // the carrier's view (requests from A)
    DialogView b;  // the PBX's view (requests from B)
    std::string aLocalTag;
};

Established establish(Harness& h, InviteFromA inv = {}) {
    Established c;
    h.request(inv.text());
    c.bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(c.bInvite, 200, "pbxTag1", kAnswerB));
    std::string ok = h.last("198.51.100.7", "SIP/2.0 200");
    c.a = viewFromResponse(ok);
    c.aLocalTag = std::string(sip::Message::parse(ok).to().tag());
    h.request(inDialog(c.a, "ACK", 10, "z9hG4bKack0", "198.51.100.7:5062", {}, {}, "ACK"));
    c.b = viewFromRequest(c.bInvite, "pbxTag1");
    c.b.requestUri = "sip:10.0.0.5:5060";
    return c;
}

CallRecord only(const std::string& dir) {
    LoadedCalls loaded = FileCallStore(dir, 100).loadAll();
    EXPECT_EQ(loaded.records.size(), 1u);
    EXPECT_TRUE(loaded.errors.empty());
    return loaded.records.empty() ? CallRecord{} : loaded.records.front();
}

size_t files(const std::string& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) {
        ++n;
    }
    return n;
}

const char* kReofferA =
    "v=0\r\no=alice 2890844526 2890844527 IN IP4 198.51.100.7\r\ns=-\r\n"
    "c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=sendonly\r\n"
    "m=video 0 RTP/AVP 96\r\n";
const char* kReanswerB =
    "v=0\r\no=pbx 1 2 IN IP4 10.1.1.10\r\ns=PBX\r\nc=IN IP4 10.1.1.20\r\nt=0 0\r\n"
    "m=audio 6002 RTP/AVP 0\r\na=recvonly\r\nm=video 0 RTP/AVP 96\r\n";

TEST(CallRestore, EstablishedCallIsWrittenKeptCurrentAndErased) {
    TempDir dir;
    FileCallStore store(dir.path, 100);
    Harness h;
    h.b2bua.setCallStore(&store);
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    EXPECT_EQ(files(dir.path), 0u);  // answered, not yet established (no ACK)
    DialogView a = viewFromResponse(h.last("198.51.100.7", "SIP/2.0 200"));
    h.request(inDialog(a, "ACK", 10, "z9hG4bKack0", "198.51.100.7:5062", {}, {}, "ACK"));
    CallRecord r = only(dir.path);
    EXPECT_EQ(r.a.callId, "carrier-call-1@198.51.100.7");
    EXPECT_EQ(r.b.remoteTag, "pbxTag1");
    EXPECT_EQ(r.b.localCseq, 1u);
    EXPECT_EQ(r.a.remoteCseq, std::optional<std::uint32_t>(10));
    EXPECT_EQ(r.b.routeSet, std::vector<std::string>{"<sip:rr.pbx.internal;lr>"});
    EXPECT_EQ(r.a.targetAddress, "198.51.100.7");
    EXPECT_EQ(r.a.targetPort, 5062);
    EXPECT_EQ(r.inTrunk, "carrier");
    EXPECT_EQ(r.outTrunk, "pbx");
    ASSERT_TRUE(r.media.session.has_value());
    EXPECT_EQ(h.media.sessions.at(*r.media.session).size(), r.media.streams.size());
    EXPECT_TRUE(r.maxDurationDeadline.has_value());
    EXPECT_TRUE(r.cdr.answer.has_value());

    // An in-dialog request moves both legs' CSeqs: the record follows.
    h.request(inDialog(a, "INFO", 11, "z9hG4bKinfo1", "198.51.100.7:5062"));
    h.response(responseFrom(h.last("10.1.1.10", "INFO "), 200, ""));
    r = only(dir.path);
    EXPECT_EQ(r.a.remoteCseq, std::optional<std::uint32_t>(11));
    EXPECT_EQ(r.b.localCseq, 2u);

    h.request(inDialog(a, "BYE", 12, "z9hG4bKbye1", "198.51.100.7:5062"));
    EXPECT_EQ(files(dir.path), 0u);  // erased at call end
    EXPECT_EQ(h.b2bua.stats().storeWriteFailures, 0u);
}

TEST(CallRestore, ByeFromCallerAfterRestartIsRelayedAndTheCdrWritten) {
    TempDir dir;
    Established c;
    media::SessionId session = 0;
    std::vector<media::Stream> streams;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        c = establish(old);
        old.request(inDialog(c.a, "INFO", 11, "z9hG4bKinfo1", "198.51.100.7:5062"));
        old.response(responseFrom(old.last("10.1.1.10", "INFO "), 200, ""));
        session = old.media.sessions.begin()->first;
        streams = old.media.sessions.begin()->second;
        // The process dies here: nothing is torn down (the store keeps the record).
        old.b2bua.setCallStore(nullptr);
    }
    FileCallStore store(dir.path, 100);
    Harness h;
    RestoreReport report = h.b2bua.restore(store);
    EXPECT_EQ(report.restored, 1u);
    EXPECT_TRUE(report.problems.empty());
    EXPECT_EQ(h.b2bua.stats().callsRestored, 1u);
    EXPECT_EQ(h.b2bua.stats().callsActive, 1u);
    EXPECT_EQ(h.b2bua.activeCalls(), 1u);
    // The media session was adopted with its ports.
    EXPECT_EQ(h.media.adoptions, 1);
    ASSERT_TRUE(h.media.sessions.contains(session));
    EXPECT_EQ(h.media.sessions.at(session)[0].a.local.port, streams[0].a.local.port);
    EXPECT_EQ(h.media.sessions.at(session)[0].b.local.port, streams[0].b.local.port);

    h.request(inDialog(c.a, "BYE", 12, "z9hG4bKbye2", "198.51.100.7:5062"));
    std::string ok = h.last("198.51.100.7", "SIP/2.0 200");
    ASSERT_FALSE(ok.empty());
    EXPECT_NE(ok.find("CSeq: 12 BYE"), std::string::npos) << ok;
    std::string bye = h.last("10.1.1.10", "BYE ");
    ASSERT_FALSE(bye.empty());
    sip::Message m = sip::Message::parse(bye);
    sip::Message inv = sip::Message::parse(c.bInvite);
    EXPECT_EQ(m.requestUriText(), "sip:pbx@10.1.1.10:5060");  // B's Contact
    EXPECT_EQ(m.callId(), inv.callId());
    EXPECT_EQ(m.from().tag(), inv.from().tag());
    EXPECT_EQ(m.to().tag(), "pbxTag1");
    EXPECT_EQ(m.cseq().number, 3u);  // above the 2 the old process used last
    EXPECT_EQ(headerOf(bye, "Route"), "<sip:rr.pbx.internal;lr>");
    EXPECT_EQ(h.sent.back().target.port, 5060);
    EXPECT_EQ(bye.find("198.51.100.7"), std::string::npos);  // topology hiding holds

    h.response(responseFrom(bye, 200, ""));
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_EQ(h.media.releases, 1);  // adopt, then release
    EXPECT_TRUE(h.media.sessions.empty());
    ASSERT_EQ(h.cdr.records.size(), 1u);
    const CdrRecord& cdr = h.cdr.records[0];
    EXPECT_EQ(cdr.reason, "caller_bye");
    EXPECT_EQ(cdr.result, 200);
    EXPECT_EQ(cdr.aCallId, "carrier-call-1@198.51.100.7");
    EXPECT_EQ(cdr.fromTrunk, "carrier");
    EXPECT_EQ(cdr.toTrunk, "pbx");
    EXPECT_EQ(cdr.callee, "+15550001");
    EXPECT_TRUE(cdr.answer.has_value());
    EXPECT_EQ(cdr.media.size(), 4u);  // the data plane's counters of both streams
    EXPECT_EQ(files(dir.path), 0u);
}

TEST(CallRestore, ByeFromCalleeAfterRestartReachesTheCaller) {
    TempDir dir;
    Established c;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        c = establish(old);
        // A re-INVITE from B uses CSeq 1 on A's leg.
        old.request(inDialog(c.b, "INVITE", 1, "z9hG4bKpbxre1", "10.1.1.10:5060", kReanswerB),
                    Harness::pbxSource());
        std::string toA = old.last("198.51.100.7", "INVITE ");
        ASSERT_FALSE(toA.empty());
        old.response(responseFrom(toA, 200, "", kReofferA, {}, "<sip:alice@198.51.100.7:5062>"));
        old.request(inDialog(c.b, "ACK", 1, "z9hG4bKpbxack1", "10.1.1.10:5060", {}, {}, "ACK"),
                    Harness::pbxSource());
        EXPECT_EQ(only(dir.path).a.localCseq, 1u);
        old.b2bua.setCallStore(nullptr);
    }
    FileCallStore store(dir.path, 100);
    Harness h;
    ASSERT_EQ(h.b2bua.restore(store).restored, 1u);
    h.request(inDialog(c.b, "BYE", 2, "z9hG4bKpbxbye", "10.1.1.10:5060"), Harness::pbxSource());
    EXPECT_FALSE(h.last("10.1.1.10", "SIP/2.0 200").empty());
    std::string bye = h.last("198.51.100.7", "BYE ");
    ASSERT_FALSE(bye.empty());
    sip::Message m = sip::Message::parse(bye);
    EXPECT_EQ(m.requestUriText(), "sip:alice@198.51.100.7:5062");
    EXPECT_EQ(m.callId(), "carrier-call-1@198.51.100.7");
    EXPECT_EQ(m.from().tag(), c.aLocalTag);
    EXPECT_EQ(m.to().tag(), "carrierTag1");
    EXPECT_EQ(m.cseq().number, 2u);
    EXPECT_EQ(headerOf(bye, "Route"), "<sip:rr.carrier.example;lr>");
    EXPECT_EQ(h.sent.back().target.port, 5062);  // NAT fixup kept: the observed source
    h.response(responseFrom(bye, 200, ""));
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "callee_bye");
}

TEST(CallRestore, ReInviteAfterRestartUpdatesTheAdoptedMediaAndTheRecord) {
    TempDir dir;
    Established c;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        c = establish(old);
        old.b2bua.setCallStore(nullptr);
    }
    FileCallStore store(dir.path, 100);
    Harness h;
    ASSERT_EQ(h.b2bua.restore(store).restored, 1u);
    int updates = h.media.updates;
    h.request(inDialog(c.a, "INVITE", 11, "z9hG4bKre1", "198.51.100.7:5062", kReofferA));
    std::string toB = h.last("10.1.1.10", "INVITE ");
    ASSERT_FALSE(toB.empty());
    EXPECT_EQ(sip::Message::parse(toB).cseq().number, 2u);
    std::string sdp = bodyOf(toB);
    // The o= line continues the old process's: same session id, version 2 (RFC 3264 §8).
    std::string firstOffer = bodyOf(c.bInvite);
    std::string sessId = firstOffer.substr(firstOffer.find("o=- ") + 4);
    sessId = sessId.substr(0, sessId.find(' '));
    EXPECT_NE(sdp.find("o=- " + sessId + " 2 IN IP4 10.0.0.100"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("a=sendonly"), std::string::npos);
    EXPECT_GT(h.media.updates, updates);
    EXPECT_EQ(h.media.sessions.begin()->second[0].a.remote.port, 49172);

    h.response(responseFrom(toB, 200, "", kReanswerB));
    std::string okA = h.last("198.51.100.7", "SIP/2.0 200");
    ASSERT_FALSE(okA.empty());
    EXPECT_NE(okA.find("CSeq: 11 INVITE"), std::string::npos);
    EXPECT_NE(bodyOf(okA).find("a=recvonly"), std::string::npos);
    h.request(inDialog(c.a, "ACK", 11, "z9hG4bKack11", "198.51.100.7:5062", {}, {}, "ACK"));
    CallRecord r = only(dir.path);
    EXPECT_EQ(r.b.localCseq, 2u);
    EXPECT_EQ(r.a.remoteCseq, std::optional<std::uint32_t>(11));
    EXPECT_EQ(r.media.streams[0].a.remote.port, 49172);
    EXPECT_EQ(r.media.streams[0].b.remote.port, 6002);
    EXPECT_EQ(r.media.origin[1].version, 2u);
}

TEST(CallRestore, CorruptRecordsAreSkippedAndCounted) {
    TempDir dir;
    Established c;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        c = establish(old);
        old.b2bua.setCallStore(nullptr);
    }
    std::ofstream(dir.path + "/7.json") << "{\"version\":1,\"call\":7";
    std::ofstream(dir.path + "/8.json") << "[\"not a record\"]";
    FileCallStore store(dir.path, 100);
    Harness h;
    RestoreReport report = h.b2bua.restore(store);
    EXPECT_EQ(report.restored, 1u);
    ASSERT_EQ(report.problems.size(), 2u);
    EXPECT_NE(report.problems[0].find("7.json: not JSON"), std::string::npos) << report.problems[0];
    EXPECT_NE(report.problems[1].find("8.json: : expected an object"), std::string::npos)
        << report.problems[1];
    EXPECT_EQ(h.b2bua.stats().restoreFailures, 2u);
    EXPECT_EQ(h.b2bua.stats().callsRestored, 1u);
    EXPECT_EQ(files(dir.path), 1u);  // the bad ones are gone
    // The good one works, and a new call gets a number of its own.
    h.b2bua.setCallStore(&store);
    InviteFromA second;
    second.callId = "carrier-call-2@198.51.100.7";
    second.fromTag = "carrierTag2";
    second.branch = "z9hG4bKcarrierbranch2";
    establish(h, second);
    EXPECT_EQ(files(dir.path), 2u);
    EXPECT_EQ(h.b2bua.activeCalls(), 2u);
}

TEST(CallRestore, CallWhoseTrunkIsGoneIsRestoredForSignalling) {
    TempDir dir;
    Established c;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        c = establish(old);
        old.b2bua.setCallStore(nullptr);
    }
    auto policy = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    policy->trunks.pop_back();  // "pbx" is no longer configured
    policy->routes.clear();
    FileCallStore store(dir.path, 100);
    Harness h(policy);
    RestoreReport report = h.b2bua.restore(store);
    EXPECT_EQ(report.restored, 1u);
    h.request(inDialog(c.a, "BYE", 11, "z9hG4bKbye3", "198.51.100.7:5062"));
    std::string bye = h.last("10.1.1.10", "BYE ");
    ASSERT_FALSE(bye.empty());
    h.response(responseFrom(bye, 200, ""));
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].toTrunk, "pbx");
}

TEST(CallRestore, RefusedMediaEndsTheCallWithByeOnBothLegs) {
    TempDir dir;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        establish(old);
        old.b2bua.setCallStore(nullptr);
    }
    FileCallStore store(dir.path, 100);
    Harness h;
    h.media.refuseAdopt = true;
    RestoreReport report = h.b2bua.restore(store);
    EXPECT_EQ(report.restored, 0u);
    ASSERT_EQ(report.problems.size(), 1u);
    EXPECT_NE(report.problems[0].find("could not be adopted"), std::string::npos);
    EXPECT_EQ(h.b2bua.stats().restoreFailures, 1u);
    EXPECT_EQ(h.b2bua.stats().callsRestored, 0u);
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_EQ(h.media.releases, 0);  // not ours: never released
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "media_lost");
    EXPECT_EQ(files(dir.path), 0u);
}

TEST(CallRestore, MaxDurationDeadlineCarriesOver) {
    TempDir dir;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        establish(old);
        old.b2bua.setCallStore(nullptr);
    }
    FileCallStore store(dir.path, 100);
    Harness h;
    h.timers.advance(600s);  // the new process starts 10 minutes after the answer
    ASSERT_EQ(h.b2bua.restore(store).restored, 1u);
    h.timers.advance(2990s);
    EXPECT_TRUE(h.last("10.1.1.10", "BYE ").empty());
    h.timers.advance(20s);  // 3600 s after the answer
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_EQ(h.b2bua.stats().maxDurationReached, 1u);
}

TEST(CallRestore, AdoptedMediaGoingIdleEndsTheCall) {
    TempDir dir;
    media::SessionId session = 0;
    {
        FileCallStore store(dir.path, 100);
        Harness old;
        old.b2bua.setCallStore(&store);
        establish(old);
        session = old.media.sessions.begin()->first;
        old.b2bua.setCallStore(nullptr);
    }
    FileCallStore store(dir.path, 100);
    Harness h;
    ASSERT_EQ(h.b2bua.restore(store).restored, 1u);
    h.b2bua.onMediaIdle(session);
    EXPECT_EQ(h.b2bua.stats().mediaTimeouts, 1u);
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_EQ(files(dir.path), 0u);
}

}  // namespace
}  // namespace sbc::b2bua::test
