// SIP parse + serialize throughput: a typical carrier INVITE with SDP and a 200 OK with SDP.
// Prints messages/s (items_per_second). Run: build/perf/sip_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <string>

#include "controlplane/sip/message.hpp"
#include "controlplane/sip/serializer.hpp"

namespace {

const std::string kSdp =
    "v=0\r\n"
    "o=- 3866236450 3866236450 IN IP4 203.0.113.10\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.10\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 18 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

std::string invite() {
    return "INVITE sip:+442071234567@198.51.100.20:5060;user=phone SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-524287-1---a9b8c7d6e5f4;rport\r\n"
           "Via: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bK776asdhds;received=10.20.30.40\r\n"
           "Max-Forwards: 69\r\n"
           "Record-Route: <sip:203.0.113.10;lr;ftag=as5c1d2e3f>\r\n"
           "Contact: <sip:+12125551234@203.0.113.10:5060;transport=udp>\r\n"
           "To: <sip:+442071234567@198.51.100.20;user=phone>\r\n"
           "From: \"Alice\" <sip:+12125551234@203.0.113.10;user=phone>;tag=as5c1d2e3f\r\n"
           "Call-ID: 4d3f2a1b6c7d8e9f0a1b2c3d4e5f6a7b@203.0.113.10\r\n"
           "CSeq: 102 INVITE\r\n"
           "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PRACK, "
           "UPDATE\r\n"
           "Supported: replaces, timer, 100rel\r\n"
           "Session-Expires: 1800;refresher=uac\r\n"
           "Min-SE: 90\r\n"
           "P-Asserted-Identity: <sip:+12125551234@carrier.example.net;user=phone>\r\n"
           "User-Agent: CarrierSwitch 9.1\r\n"
           "Content-Type: application/sdp\r\n"
           "Content-Length: " +
           std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;
}

std::string ok200() {
    return "SIP/2.0 200 OK\r\n"
           "Via: SIP/2.0/UDP "
           "203.0.113.10:5060;branch=z9hG4bK-524287-1---a9b8c7d6e5f4;rport=5060;received=203.0.113."
           "10\r\n"
           "Record-Route: <sip:203.0.113.10;lr;ftag=as5c1d2e3f>\r\n"
           "Contact: <sip:core@198.51.100.20:5060>\r\n"
           "To: <sip:+442071234567@198.51.100.20;user=phone>;tag=8a7b6c5d\r\n"
           "From: \"Alice\" <sip:+12125551234@203.0.113.10;user=phone>;tag=as5c1d2e3f\r\n"
           "Call-ID: 4d3f2a1b6c7d8e9f0a1b2c3d4e5f6a7b@203.0.113.10\r\n"
           "CSeq: 102 INVITE\r\n"
           "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
           "Supported: timer\r\n"
           "Session-Expires: 1800;refresher=uac\r\n"
           "Server: sbc\r\n"
           "Content-Type: application/sdp\r\n"
           "Content-Length: " +
           std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;
}

void runParse(benchmark::State& state, const std::string& text) {
    for (auto _ : state) {
        auto m = sbc::sip::Message::parse(text);
        benchmark::DoNotOptimize(m.ok());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

void runParseSerialize(benchmark::State& state, const std::string& text) {
    for (auto _ : state) {
        auto m = sbc::sip::Message::parse(text);
        std::string out = sbc::sip::serialize(m);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

void BM_ParseInviteWithSdp(benchmark::State& s) {
    runParse(s, invite());
}
void BM_ParseSerializeInviteWithSdp(benchmark::State& s) {
    runParseSerialize(s, invite());
}
void BM_Parse200Ok(benchmark::State& s) {
    runParse(s, ok200());
}
void BM_ParseSerialize200Ok(benchmark::State& s) {
    runParseSerialize(s, ok200());
}

}  // namespace

BENCHMARK(BM_ParseInviteWithSdp);
BENCHMARK(BM_ParseSerializeInviteWithSdp);
BENCHMARK(BM_Parse200Ok);
BENCHMARK(BM_ParseSerialize200Ok);

BENCHMARK_MAIN();
