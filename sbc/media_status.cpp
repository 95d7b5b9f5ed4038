#include "sbc/media_status.hpp"

#include <cctype>

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
    // The data plane's global counters, as it names them (sum over lcores).
    for (const auto& c : counters) {
        std::string name = "sbc_dataplane_" + c.name;
        if (!name.ends_with("_total")) {
            name += "_total";
        }
        out.push_back(counterFamily(name, "sbc-dataplane counter " + c.name + "."));
        addSample(out.back(), static_cast<double>(c.value));
    }
    return out;
}

}  // namespace sbc
