#include "sbc/status.hpp"

#include <cctype>
#include <cstdint>
#include <string_view>

#include "controlplane/sip/parse_error.hpp"
#include "sbc/json.hpp"
#include "sbc/log.hpp"
#include "sbc/version.hpp"

namespace sbc {

namespace {

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

std::vector<prometheus::MetricFamily> metricFamilies(std::chrono::steady_clock::time_point started,
                                                     const transport::TransportLayer& transport,
                                                     const core::SipServerStats& sip,
                                                     const transaction::Stats& t) {
    std::vector<prometheus::MetricFamily> out;
    auto counter = [&out](const char* name, const char* help, double v) {
        out.push_back(counterFamily(name, help));
        addSample(out.back(), v);
    };
    auto gauge = [&out](const char* name, const char* help, double v) {
        out.push_back(gaugeFamily(name, help));
        addSample(out.back(), v);
    };
    gauge("sbc_uptime_seconds", "Seconds since sbc started.",
          static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count()));

    counter("sbc_sip_requests_received_total", "Well-formed SIP requests received.",
            static_cast<double>(sip.requestsReceived));
    counter("sbc_sip_responses_received_total", "Well-formed SIP responses received.",
            static_cast<double>(sip.responsesReceived));
    out.push_back(counterFamily("sbc_sip_parse_errors_total",
                                "SIP messages refused by the parser, by reason."));
    for (size_t i = 1; i < sip.parseErrors.size(); ++i) {
        addSample(out.back(), static_cast<double>(sip.parseErrors[i]),
                  {{"reason", snake(sip::toString(static_cast<sip::ParseError>(i)))}});
    }
    counter("sbc_sip_malformed_answered_total",
            "Malformed requests answered statelessly (400, 505, 513).",
            static_cast<double>(sip.malformedAnswered));
    counter(
        "sbc_sip_malformed_dropped_total",
        "Malformed messages dropped without an answer (responses, or no answer could be formed).",
        static_cast<double>(sip.malformedDropped));
    counter("sbc_sip_stray_responses_total", "Responses matching no client transaction, dropped.",
            static_cast<double>(sip.strayResponses));
    counter("sbc_sip_overload_rejected_total",
            "Requests answered 503 because the transaction table is full.",
            static_cast<double>(sip.overloadRejected));
    counter("sbc_sip_options_answered_total", "OPTIONS answered 200 by sbc itself.",
            static_cast<double>(sip.optionsAnswered));
    counter("sbc_sip_send_failures_total", "Responses the transport refused to send.",
            static_cast<double>(sip.sendFailures));
    out.push_back(counterFamily("sbc_sip_responses_sent_total",
                                "Responses originated by sbc, by status class."));
    for (int c = 1; c <= 6; ++c) {
        addSample(out.back(), static_cast<double>(sip.responsesSent[static_cast<size_t>(c)]),
                  {{"class", std::to_string(c) + "xx"}});
    }

    const transport::Stats& s = transport.stats();
    out.push_back(counterFamily("sbc_transport_drops_total",
                                "Inbound bytes dropped by the transports, by reason."));
    addSample(out.back(), static_cast<double>(s.udpOversizeDrops), {{"reason", "udp_oversize"}});
    addSample(out.back(), static_cast<double>(s.udpEmptyDrops), {{"reason", "udp_empty"}});
    addSample(out.back(), static_cast<double>(s.framingMissingContentLength),
              {{"reason", "missing_content_length"}});
    addSample(out.back(), static_cast<double>(s.framingInvalidContentLength),
              {{"reason", "invalid_content_length"}});
    addSample(out.back(), static_cast<double>(s.framingConflictingContentLength),
              {{"reason", "conflicting_content_length"}});
    addSample(out.back(), static_cast<double>(s.framingHeadersTooLarge),
              {{"reason", "headers_too_large"}});
    addSample(out.back(), static_cast<double>(s.framingMessageTooLarge),
              {{"reason", "message_too_large"}});
    counter("sbc_transport_keepalives_total", "CRLF keep-alives received (UDP and stream pings).",
            static_cast<double>(s.udpKeepalives + s.streamPings));
    counter("sbc_transport_connections_accepted_total", "TCP/TLS connections accepted.",
            static_cast<double>(s.connectionsAccepted));
    out.push_back(counterFamily("sbc_transport_connections_rejected_total",
                                "TCP/TLS connections refused by a limit."));
    addSample(out.back(), static_cast<double>(s.connectionsRejectedTotal), {{"limit", "total"}});
    addSample(out.back(), static_cast<double>(s.connectionsRejectedPerSource),
              {{"limit", "per_source"}});
    gauge("sbc_transport_connections_open", "TCP/TLS connections open now.",
          static_cast<double>(s.connectionsOpen));
    counter("sbc_transport_tls_handshake_failures_total",
            "TLS handshakes that failed or timed out.",
            static_cast<double>(s.tlsHandshakeFailures + s.tlsHandshakeTimeouts));

    out.push_back(gaugeFamily("sbc_transactions_active", "Live SIP transactions, by kind."));
    addSample(out.back(), static_cast<double>(t.serverActive), {{"kind", "server"}});
    addSample(out.back(), static_cast<double>(t.clientActive), {{"kind", "client"}});
    counter("sbc_transactions_retransmissions_absorbed_total",
            "Retransmitted requests and ACKs absorbed by a live transaction.",
            static_cast<double>(t.retransmissionsAbsorbed));
    counter("sbc_transactions_responses_retransmitted_total",
            "Responses re-sent (retransmitted requests, timer G).",
            static_cast<double>(t.responsesRetransmitted));
    out.push_back(counterFamily("sbc_transactions_timeouts_total",
                                "Transaction timeouts, by RFC 3261 timer."));
    addSample(out.back(), static_cast<double>(t.timeoutsB), {{"timer", "B"}});
    addSample(out.back(), static_cast<double>(t.timeoutsF), {{"timer", "F"}});
    addSample(out.back(), static_cast<double>(t.timeoutsH), {{"timer", "H"}});
    return out;
}

std::vector<prometheus::MetricFamily> callMetricFamilies(
    const b2bua::B2buaStats& c, const b2bua::DestinationMonitorStats& d,
    const std::vector<b2bua::DestinationStatus>& pinged) {
    std::vector<prometheus::MetricFamily> out;
    auto counter = [&out](const char* name, const char* help, std::uint64_t v) {
        out.push_back(counterFamily(name, help));
        addSample(out.back(), static_cast<double>(v));
    };
    auto gauge = [&out](const char* name, const char* help, std::uint64_t v) {
        out.push_back(gaugeFamily(name, help));
        addSample(out.back(), static_cast<double>(v));
    };
    counter("sbc_calls_attempted_total", "INVITEs that started a call attempt.", c.callsAttempted);
    counter("sbc_calls_answered_total", "Calls answered (2xx relayed to the caller).",
            c.callsAnswered);
    counter("sbc_calls_failed_total", "Calls that ended without an answer (final >= 300).",
            c.callsFailed);
    counter("sbc_calls_cancelled_total", "Calls cancelled by the caller or timer C.",
            c.callsCancelled);
    counter("sbc_calls_ended_total", "Calls finished (a CDR was written).", c.callsEnded);
    gauge("sbc_calls_active", "Calls in progress now.", c.callsActive);
    {
        out.push_back(counterFamily("sbc_calls_rejected_total",
                                    "INVITEs refused before routing, by reason."));
        auto& f = out.back();
        addSample(f, static_cast<double>(c.rejectedNoTrunk), {{"reason", "no_trunk"}});
        addSample(f, static_cast<double>(c.rejectedNoRoute), {{"reason", "no_route"}});
        addSample(f, static_cast<double>(c.rejectedOverload), {{"reason", "overload"}});
        addSample(f, static_cast<double>(c.rejectedTrunkLimit), {{"reason", "trunk_limit"}});
        addSample(f, static_cast<double>(c.rejectedLoop), {{"reason", "max_forwards"}});
        addSample(f, static_cast<double>(c.rejectedMedia), {{"reason", "media"}});
        addSample(f, static_cast<double>(c.rejectedIntervalTooSmall),
                  {{"reason", "session_interval"}});
    }
    {
        out.push_back(counterFamily("sbc_calls_terminated_by_sbc_total",
                                    "Calls sbc ended itself, by reason."));
        auto& f = out.back();
        addSample(f, static_cast<double>(c.timerCFired), {{"reason", "timer_c"}});
        addSample(f, static_cast<double>(c.ackTimeouts), {{"reason", "ack_timeout"}});
        addSample(f, static_cast<double>(c.maxDurationReached), {{"reason", "max_duration"}});
        addSample(f, static_cast<double>(c.sessionExpired), {{"reason", "session_expired"}});
        addSample(f, static_cast<double>(c.mediaTimeouts), {{"reason", "media_timeout"}});
    }
    counter("sbc_calls_failovers_total", "Next destination tried (failover codes or silence).",
            c.failovers);
    counter("sbc_calls_redirects_followed_total", "3xx followed by trunk policy.",
            c.redirectsFollowed);
    counter("sbc_calls_auth_answered_total", "Trunk challenges answered with credentials.",
            c.authAnswered);
    counter("sbc_calls_auth_failed_total", "Trunk challenges that could not be answered.",
            c.authFailed);
    counter("sbc_calls_forked_answers_released_total", "Later 2xx of a forked INVITE, ACKed+BYEd.",
            c.forkedAnswersReleased);
    counter("sbc_calls_unknown_dialog_total", "In-dialog requests matching no call (481).",
            c.unknownDialog);
    counter("sbc_calls_glare_total", "re-INVITE/UPDATE glare answered 491.", c.glare);
    counter("sbc_calls_in_dialog_relayed_total", "In-dialog requests relayed between legs.",
            c.inDialogRelayed);
    counter("sbc_calls_restored_total",
            "Established calls re-adopted from the state directory at start.", c.callsRestored);
    counter("sbc_calls_restore_failures_total",
            "Call records dropped at start (corrupt, no listener) or calls ended: media lost.",
            c.restoreFailures);
    counter("sbc_calls_store_write_failures_total",
            "Call records that could not be written to the state directory.", c.storeWriteFailures);
    counter("sbc_destinations_pings_total", "OPTIONS pings sent to trunk destinations.",
            d.pingsSent);
    counter("sbc_destinations_ping_failures_total", "OPTIONS pings timed out or answered 5xx.",
            d.pingsFailed);
    gauge("sbc_destinations_down", "Trunk destinations marked down now.", d.down);
    if (!pinged.empty()) {
        out.push_back(gaugeFamily("sbc_destination_up",
                                  "1 while OPTIONS pinging finds a trunk destination up, 0 down."));
        for (const b2bua::DestinationStatus& s : pinged) {
            addSample(out.back(), s.up ? 1.0 : 0.0,
                      {{"trunk", s.trunk}, {"destination", b2bua::destinationName(s)}});
        }
    }
    return out;
}

std::string destinationsJson(const std::vector<b2bua::DestinationStatus>& pinged) {
    Json j;
    j.open();
    j.openArray("destinations");
    for (const b2bua::DestinationStatus& d : pinged) {
        j.openElement();
        j.text("trunk", d.trunk);
        j.text("destination", b2bua::destinationName(d));
        j.text("state", d.up ? "up" : "down");
        j.num("failures", static_cast<std::uint64_t>(d.failures));
        j.num("successes", static_cast<std::uint64_t>(d.successes));
        j.num("changes", d.changes);
        j.close();
    }
    j.closeArray();
    j.close();
    return j.take();
}

}  // namespace sbc
