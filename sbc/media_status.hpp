#pragma once
// What sbcctl and Prometheus see of the media relay: the MediaClient's counters and port pools,
// sbc-dataplane's global counters (cached from its Stats answer) and its live flows.
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "api/dataplane_protocol.hpp"
#include "controlplane/media/media_client.hpp"

namespace sbc {

// `sbcctl stats`: {"dataplane":{"connected":..,"generation":..,"counters":{...}},
//                  "media_client":{...},"free_port_pairs":{"outside":N,...}}
std::string mediaStatsJson(const media::MediaClient& client, bool dataplaneAnswered,
                           const std::vector<dpapi::Counter>& dataplaneCounters);

// `sbcctl flows`: {"flows":[{"id":..,"generation":..,"a":{...},"b":{...}},...]}
std::string flowsJson(bool ok, const std::vector<dpapi::FlowInfo>& flows);

// sbc_media_* families of the client and sbc_dataplane_* families of the data plane's counters.
std::vector<prometheus::MetricFamily> mediaMetricFamilies(
    const media::MediaClient& client, const std::vector<dpapi::Counter>& dataplaneCounters);

}  // namespace sbc
