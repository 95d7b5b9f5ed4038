#include "sbc/policy_admin.hpp"

#include <cstdio>

#include "sbc/metrics.hpp"

namespace sbc {

namespace {

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string diagnosticsJson(const std::vector<policy::Diagnostic>& ds) {
    std::string out = "[";
    for (size_t i = 0; i < ds.size(); ++i) {
        out += (i == 0 ? "" : ",") + quote(ds[i].text);
    }
    return out + "]";
}

}  // namespace

std::string reloadJson(const policy::ReloadOutcome& out) {
    if (out.busy) {
        return "{\"error\":\"a reload is already running\"}";
    }
    if (!out.ok) {
        return "{\"error\":\"policy refused, the old policy stays\",\"diagnostics\":" +
               diagnosticsJson(out.diagnostics) + "}";
    }
    return "{\"reload\":\"ok\",\"compile_seconds\":" + std::to_string(out.compileSeconds) +
           ",\"swap_seconds\":" + std::to_string(out.swapSeconds) +
           ",\"diagnostics\":" + diagnosticsJson(out.diagnostics) + "}";
}

std::string bansJson(const policy::PolicyGate& gate) {
    std::string out = "{\"bans\":[";
    auto bans = gate.bans();
    for (size_t i = 0; i < bans.size(); ++i) {
        const auto& b = bans[i];
        out += (i == 0 ? "{" : ",{");
        out += "\"address\":" + quote(b.address) + ",\"reason\":" + quote(b.reason) +
               ",\"since\":" + std::to_string(b.sinceUnix) +
               ",\"until\":" + std::to_string(b.untilUnix) + "}";
    }
    return out + "]}";
}

std::string liftJson(policy::PolicyGate& gate, const std::string& address) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(address, ec);
    if (ec) {
        return "{\"error\":\"not an IP address\"}";
    }
    if (!gate.lift(a)) {
        return "{\"error\":\"not banned\",\"address\":" + quote(a.to_string()) + "}";
    }
    return "{\"lifted\":" + quote(a.to_string()) + "}";
}

std::string policyStatusJson(policy::PolicyGate& gate) {
    const policy::GateStats& s = gate.stats();
    std::string out = "{\"files\":[";
    const auto& files = gate.policy()->files;
    for (size_t i = 0; i < files.size(); ++i) {
        out += (i == 0 ? "" : ",") + quote(files[i]);
    }
    out += "],\"passed\":" + std::to_string(s.passed) + ",\"rejected\":{";
    for (size_t i = 0; i < policy::kReasonLabels.size(); ++i) {
        out += (i == 0 ? "" : ",") + quote(policy::kReasonLabels[i]) + ":" +
               std::to_string(s.rejected[i]);
    }
    out += "},\"dropped\":{";
    for (size_t i = 0; i < policy::kReasonLabels.size(); ++i) {
        out += (i == 0 ? "" : ",") + quote(policy::kReasonLabels[i]) + ":" +
               std::to_string(s.dropped[i]);
    }
    out += "},\"bans_added\":{";
    for (size_t i = 0; i < policy::kBanReasonLabels.size(); ++i) {
        out += (i == 0 ? "" : ",") + quote(policy::kBanReasonLabels[i]) + ":" +
               std::to_string(s.bansAdded[i]);
    }
    out += "},\"bans_active\":" + std::to_string(gate.bans().size()) +
           ",\"source_evictions\":" + std::to_string(s.sourceEvictions) +
           ",\"sources_tracked\":" + std::to_string(s.sourcesTracked) +
           ",\"source_capacity\":" + std::to_string(s.sourceCapacity) +
           ",\"reloads\":" + std::to_string(s.reloads) +
           ",\"reload_failures\":" + std::to_string(s.reloadFailures) +
           ",\"calls_active\":" + std::to_string(gate.activeCalls()) + "}";
    return out;
}

void appendPolicyFamilies(std::vector<prometheus::MetricFamily>& out, policy::PolicyGate& gate) {
    const policy::GateStats& s = gate.stats();
    out.push_back(counterFamily("sbc_policy_passed_total",
                                "Messages the policy gate let through (source checks)."));
    addSample(out.back(), static_cast<double>(s.passed));
    out.push_back(
        counterFamily("sbc_policy_rejected_total",
                      "Requests refused by policy with a response (403/503), by reason."));
    for (size_t i = 0; i < policy::kReasonLabels.size(); ++i) {
        addSample(out.back(), static_cast<double>(s.rejected[i]),
                  {{"reason", std::string(policy::kReasonLabels[i])}});
    }
    out.push_back(counterFamily("sbc_policy_dropped_total",
                                "Messages dropped silently by policy, by reason."));
    for (size_t i = 0; i < policy::kReasonLabels.size(); ++i) {
        addSample(out.back(), static_cast<double>(s.dropped[i]),
                  {{"reason", std::string(policy::kReasonLabels[i])}});
    }
    out.push_back(counterFamily("sbc_policy_bans_total", "Sources banned, by reason."));
    for (size_t i = 0; i < policy::kBanReasonLabels.size(); ++i) {
        addSample(out.back(), static_cast<double>(s.bansAdded[i]),
                  {{"reason", std::string(policy::kBanReasonLabels[i])}});
    }
    out.push_back(counterFamily("sbc_policy_bans_refused_total",
                                "Bans not recorded because the ban table was full."));
    addSample(out.back(), static_cast<double>(s.bansRefusedFull));
    out.push_back(counterFamily("sbc_policy_bans_lifted_total", "Bans lifted by the operator."));
    addSample(out.back(), static_cast<double>(s.bansLifted));
    out.push_back(gaugeFamily("sbc_policy_bans_active", "Sources banned now."));
    addSample(out.back(), static_cast<double>(gate.bans().size()));
    out.push_back(counterFamily("sbc_policy_source_evictions_total",
                                "Per-source entries evicted to make room for new sources."));
    addSample(out.back(), static_cast<double>(s.sourceEvictions));
    out.push_back(gaugeFamily("sbc_policy_sources_tracked", "Per-source entries in use."));
    addSample(out.back(), static_cast<double>(s.sourcesTracked));
    out.push_back(counterFamily("sbc_policy_reloads_total", "Policy reloads, by result."));
    addSample(out.back(), static_cast<double>(s.reloads), {{"result", "ok"}});
    addSample(out.back(), static_cast<double>(s.reloadFailures), {{"result", "failed"}});
    out.push_back(gaugeFamily("sbc_policy_last_compile_seconds",
                              "Compile time of the last successful reload (worker thread)."));
    addSample(out.back(), s.lastCompileSeconds);
    out.push_back(gaugeFamily("sbc_policy_calls_active",
                              "Concurrent calls counted against overload.max_calls (the B2BUA's "
                              "live calls; 0 without a B2BUA)."));
    addSample(out.back(), static_cast<double>(gate.activeCalls()));
}

}  // namespace sbc
