#pragma once
// Prometheus metrics of the control plane, served in the text format on a configurable listener
// (default 127.0.0.1:9100, DESIGN.md). Names start with sbc_, counters end with _total, labels are
// bounded (reason, class, transport, timer — never an address or a Call-ID).
//
// Counters live in plain structs owned by the io_context thread. A scrape runs on the exposer's
// HTTP thread: it posts a snapshot job to the io_context and waits (at most 2 s) for it, so the
// structs are only ever read on their own thread and nothing on the SIP path takes a lock.
#include <prometheus/metric_family.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Exposer;
}

namespace sbc {

class MetricsServer {
  public:
    using Snapshot = std::function<std::vector<prometheus::MetricFamily>()>;

    // Binds `listen` ("127.0.0.1:9100", "[::1]:9100"); throws std::runtime_error when it cannot.
    MetricsServer(boost::asio::io_context& io, const std::string& listen, Snapshot snapshot);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // The bound port (useful with port 0).
    unsigned short port() const;

  private:
    class Collector;
    std::shared_ptr<Collector> collector_;
    std::unique_ptr<prometheus::Exposer> exposer_;
};

// Helpers to build families.
prometheus::MetricFamily counterFamily(std::string name, std::string help);
prometheus::MetricFamily gaugeFamily(std::string name, std::string help);
void addSample(prometheus::MetricFamily& family, double value,
               std::vector<prometheus::ClientMetric::Label> labels = {});

}  // namespace sbc
