#pragma once
// The JSON document `sbcctl status` prints: uptime, listeners and every counter of the SIP core,
// the transports and the transaction layer.
#include <chrono>
#include <string>
#include <vector>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/destination_monitor.hpp"
#include "controlplane/core/sip_server.hpp"
#include "controlplane/transaction/transaction_layer.hpp"
#include "controlplane/transport/transport_layer.hpp"
#include "sbc/metrics.hpp"

namespace sbc {

std::string statusJson(std::chrono::steady_clock::time_point started,
                       const transport::TransportLayer& transport,
                       const std::vector<transport::ListenerId>& listeners,
                       const core::SipServerStats& sip, const transaction::Stats& transactions);

// The same counters as Prometheus families (sbc_ names, _total counters, bounded labels).
std::vector<prometheus::MetricFamily> metricFamilies(std::chrono::steady_clock::time_point started,
                                                     const transport::TransportLayer& transport,
                                                     const core::SipServerStats& sip,
                                                     const transaction::Stats& transactions);

// The B2BUA's counters (sbc_calls_*, sbc_destinations_*) as Prometheus families.
std::vector<prometheus::MetricFamily> callMetricFamilies(
    const b2bua::B2buaStats& calls, const b2bua::DestinationMonitorStats& destinations,
    const std::vector<b2bua::DestinationStatus>& pinged);

// `sbcctl destinations`: every pinged trunk destination and whether it is up.
std::string destinationsJson(const std::vector<b2bua::DestinationStatus>& pinged);

}  // namespace sbc
