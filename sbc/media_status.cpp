#include "sbc/media_status.hpp"

#include <cctype>
#include <map>

#include "api/dataplane_counters.hpp"
#include "sbc/json.hpp"
#include "sbc/metrics.hpp"

namespace sbc {

namespace {

// "flowsCreated" -> "flows_created"
std::string snakeCase(std::string_view camel) {
    std::string out;
    for (char c : camel) {
        if (std::isupper(static_cast<unsigned char>(c))) {
            out += '_';
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
            out += c;
        }
    }
    return out;
}

void endJson(Json& j, std::string_view key, const dpapi::FlowEnd& e, const dpapi::EndStats& s) {
    j.open(key);
    j.text("interface", e.interface);
    j.text("local", e.local.toString());
    j.num("local_rtp_port", e.localRtpPort);
    j.num("local_rtcp_port", e.localRtcpPort);
    j.boolean("rtcp_mux", e.rtcpMux);
    j.text("remote", e.remote.toString());
    j.num("remote_rtp_port", e.remoteRtpPort);
    j.num("remote_rtcp_port", e.remoteRtcpPort);
    j.open("stats");
#define SBC_END_JSON(name, help) j.num(snakeCase(#name), s.name);
    SBC_DP_END_STATS(SBC_END_JSON)
#undef SBC_END_JSON
    j.close();
    j.close();
}

}  // namespace

std::string mediaStatsJson(const media::MediaClient& client, bool dataplaneAnswered,
                           const std::vector<dpapi::Counter>& counters) {
    Json j;
    j.open();
    j.open("dataplane");
    j.boolean("connected", client.connected());
    j.num("generation", client.generation());
    if (dataplaneAnswered) {
        j.open("counters");
        for (const auto& c : counters) {
            j.num(c.name, c.value);
        }
        j.close();
    } else {
        j.text("error", "sbc-dataplane did not answer");
    }
    j.close();
    j.open("media_client");
    j.num("sessions", client.sessionCount());
#define SBC_CLIENT_JSON(name, help) j.num(snakeCase(#name), client.stats().name);
    SBC_MEDIA_CLIENT_STATS(SBC_CLIENT_JSON)
#undef SBC_CLIENT_JSON
    j.close();
    j.open("free_port_pairs");
    for (const auto& [side, n] : client.freePorts()) {
        j.num(side, n);
    }
    j.close();
    j.close();
    return j.take();
}

std::string flowsJson(bool ok, const std::vector<dpapi::FlowInfo>& flows) {
    Json j;
    j.open();
    if (!ok) {
        j.text("error", "sbc-dataplane did not answer");
        j.close();
        return j.take();
    }
    j.num("count", flows.size());
    j.openArray("flows");
    for (const auto& f : flows) {
        j.openElement();
        j.num("id", f.spec.flowId);
        j.num("generation", f.spec.generation);
        endJson(j, "a", f.spec.a, f.statsA);
        endJson(j, "b", f.spec.b, f.statsB);
        j.close();
    }
    j.closeArray();
    j.close();
    return j.take();
}

std::vector<prometheus::MetricFamily> mediaMetricFamilies(
    const media::MediaClient& client, const std::vector<dpapi::Counter>& counters) {
    std::vector<prometheus::MetricFamily> out;
#define SBC_CLIENT_METRIC(name, help)                                                   \
    out.push_back(counterFamily("sbc_media_" + snakeCase(#name) + "_total", help ".")); \
    addSample(out.back(), static_cast<double>(client.stats().name));
    SBC_MEDIA_CLIENT_STATS(SBC_CLIENT_METRIC)
#undef SBC_CLIENT_METRIC
    out.push_back(
        gaugeFamily("sbc_media_sessions", "Media sessions (calls with relay ports) live."));
    addSample(out.back(), static_cast<double>(client.sessionCount()));
    out.push_back(gaugeFamily("sbc_media_dataplane_connected",
                              "1 while sbc-dataplane's control channel is up and synchronised."));
    addSample(out.back(), client.connected() ? 1.0 : 0.0);
    out.push_back(gaugeFamily("sbc_media_free_port_pairs", "Free RTP/RTCP port pairs, by side."));
    for (const auto& [side, n] : client.freePorts()) {
        addSample(out.back(), static_cast<double>(n), {{"side", side}});
    }
    // The data plane's counters (sum over lcores). Those of api/dataplane_counters.hpp are
    // counters with their help text; per-port ones ("port_<side>_<what>") become one family per
    // <what> with an interface label; anything else (flows, flow_capacity) is a gauge.
    static const std::map<std::string, std::string> kHelp = {
#define SBC_DP_HELP(name, help) {#name, help},
        SBC_DP_LCORE_COUNTERS(SBC_DP_HELP) SBC_DP_CONTROL_COUNTERS(SBC_DP_HELP)
#undef SBC_DP_HELP
    };
    std::map<std::string, prometheus::MetricFamily> perPort;
    for (const auto& c : counters) {
        auto known = kHelp.find(c.name);
        if (known != kHelp.end()) {
            out.push_back(counterFamily("sbc_dataplane_" + c.name + "_total", known->second + "."));
            addSample(out.back(), static_cast<double>(c.value));
            continue;
        }
        bool portCounter = false;
        for (const auto& [side, free] : client.freePorts()) {
            (void)free;
            std::string prefix = "port_" + side + "_";
            if (c.name.rfind(prefix, 0) == 0 && c.name.size() > prefix.size()) {
                std::string what = c.name.substr(prefix.size());
                auto it = perPort.find(what);
                if (it == perPort.end()) {
                    it = perPort
                             .emplace(what, counterFamily("sbc_dataplane_port_" + what + "_total",
                                                          "sbc-dataplane port counter " + what +
                                                              ", by interface."))
                             .first;
                }
                addSample(it->second, static_cast<double>(c.value), {{"interface", side}});
                portCounter = true;
                break;
            }
        }
        if (!portCounter) {
            out.push_back(
                gaugeFamily("sbc_dataplane_" + c.name, "sbc-dataplane value " + c.name + "."));
            addSample(out.back(), static_cast<double>(c.value));
        }
    }
    for (auto& [what, family] : perPort) {
        out.push_back(std::move(family));
    }
    return out;
}

}  // namespace sbc
