#include "sbc/status.hpp"

#include <cctype>
#include <cstdint>
#include <string_view>

#include "controlplane/sip/parse_error.hpp"
#include "sbc/log.hpp"
#include "sbc/version.hpp"

namespace sbc {

namespace {

class Json {
  public:
    void open(std::string_view key = {}) {
        sep();
        if (!key.empty()) {
            str(key);
            out_ += ':';
        }
        out_ += '{';
        first_ = true;
    }
    void close() {
        out_ += '}';
        first_ = false;
    }
    void openArray(std::string_view key) {
        sep();
        str(key);
        out_ += ":[";
        first_ = true;
    }
    void closeArray() {
        out_ += ']';
        first_ = false;
    }
    void num(std::string_view key, uint64_t v) {
        sep();
        str(key);
        out_ += ':';
        out_ += std::to_string(v);
    }
    void text(std::string_view key, std::string_view v) {
        sep();
        str(key);
        out_ += ':';
        str(v);
    }
    std::string take() { return std::move(out_); }

  private:
    void sep() {
        if (!first_) {
            out_ += ',';
        }
        first_ = false;
    }
    void str(std::string_view s) {
        out_ += '"';
        for (char c : s) {
            if (c == '"' || c == '\\') {
                out_ += '\\';
                out_ += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out_ += buf;
            } else {
                out_ += c;
            }
        }
        out_ += '"';
    }
    std::string out_;
    bool first_ = true;
};

std::string snake(std::string_view s) {
    std::string out;
    for (char c : s) {
        out += (c == ' ' || c == '-')
                   ? '_'
                   : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::string statusJson(std::chrono::steady_clock::time_point started,
                       const transport::TransportLayer& transport,
                       const std::vector<transport::ListenerId>& listeners,
                       const core::SipServerStats& sip, const transaction::Stats& t) {
    Json j;
    j.open();
    j.text("version", kVersion);
    j.num("uptime_seconds", static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                      std::chrono::steady_clock::now() - started)
                                                      .count()));
    j.openArray("listeners");
    for (auto id : listeners) {
        const auto* lc = transport.listenerConfig(id);
        if (lc == nullptr) {
            continue;
        }
        j.open();
        j.text("name", lc->name);
        j.text("transport", transport::toString(lc->protocol));
        j.text("endpoint", transport::toString(transport.localEndpoint(id)));
        j.close();
    }
    j.closeArray();

    j.open("sip");
    j.num("requests_received", sip.requestsReceived);
    j.num("responses_received", sip.responsesReceived);
    j.num("malformed_answered", sip.malformedAnswered);
    j.num("malformed_dropped", sip.malformedDropped);
    j.num("retransmissions_absorbed", sip.retransmissionsAbsorbed);
    j.num("stray_responses", sip.strayResponses);
    j.num("overload_rejected", sip.overloadRejected);
    j.num("options_answered", sip.optionsAnswered);
    j.num("send_failures", sip.sendFailures);
    j.open("parse_errors");
    for (size_t i = 1; i < sip.parseErrors.size(); ++i) {
        j.num(snake(sip::toString(static_cast<sip::ParseError>(i))), sip.parseErrors[i]);
    }
    j.close();
    j.open("responses_sent");
    for (int c = 1; c <= 6; ++c) {
        j.num(std::to_string(c) + "xx", sip.responsesSent[static_cast<size_t>(c)]);
    }
    j.close();
    j.close();

    const transport::Stats& s = transport.stats();
    j.open("transport");
    j.num("udp_oversize_drops", s.udpOversizeDrops);
    j.num("udp_empty_drops", s.udpEmptyDrops);
    j.num("udp_keepalives", s.udpKeepalives);
    j.num("stream_pings", s.streamPings);
    j.num("framing_missing_content_length", s.framingMissingContentLength);
    j.num("framing_invalid_content_length", s.framingInvalidContentLength);
    j.num("framing_conflicting_content_length", s.framingConflictingContentLength);
    j.num("framing_headers_too_large", s.framingHeadersTooLarge);
    j.num("framing_message_too_large", s.framingMessageTooLarge);
    j.num("connections_accepted", s.connectionsAccepted);
    j.num("connections_rejected_total", s.connectionsRejectedTotal);
    j.num("connections_rejected_per_source", s.connectionsRejectedPerSource);
    j.num("connections_open", s.connectionsOpen);
    j.num("connections_idle_timeouts", s.connectionsIdleTimeouts);
    j.num("tls_handshakes_completed", s.tlsHandshakesCompleted);
    j.num("tls_handshake_failures", s.tlsHandshakeFailures);
    j.num("send_queue_overflows", s.sendQueueOverflows);
    j.num("send_errors", s.sendErrors);
    j.close();

    j.open("transactions");
    j.num("server_created", t.serverCreated);
    j.num("server_active", t.serverActive);
    j.num("client_created", t.clientCreated);
    j.num("client_active", t.clientActive);
    j.num("retransmissions_absorbed", t.retransmissionsAbsorbed);
    j.num("responses_retransmitted", t.responsesRetransmitted);
    j.num("timeouts_h", t.timeoutsH);
    j.num("overload_rejections", t.overloadRejections);
    j.close();
    j.close();
    return j.take();
}

}  // namespace sbc
