#include "sbc/metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <boost/asio/post.hpp>
#include <future>
#include <stdexcept>

namespace sbc {

class MetricsServer::Collector : public prometheus::Collectable {
  public:
    Collector(boost::asio::io_context& io, Snapshot snapshot)
        : io_(io), snapshot_(std::move(snapshot)) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        auto task = std::make_shared<std::packaged_task<std::vector<prometheus::MetricFamily>()>>(
            snapshot_);
        auto result = task->get_future();
        boost::asio::post(io_, [task]() { (*task)(); });
        if (result.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
            return {};  // the io thread is stopping or stuck: an empty scrape, not a hang
        }
        return result.get();
    }

  private:
    boost::asio::io_context& io_;
    Snapshot snapshot_;
};

MetricsServer::MetricsServer(boost::asio::io_context& io, const std::string& listen,
                             Snapshot snapshot)
    : collector_(std::make_shared<Collector>(io, std::move(snapshot))) {
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot listen for metrics on " + listen + ": " + e.what());
    }
    exposer_->RegisterCollectable(collector_, "/metrics");
}

MetricsServer::~MetricsServer() {
    if (exposer_) {
        exposer_->RemoveCollectable(collector_, "/metrics");
    }
}

unsigned short MetricsServer::port() const {
    auto ports = exposer_->GetListeningPorts();
    return ports.empty() ? 0 : static_cast<unsigned short>(ports.front());
}

prometheus::MetricFamily counterFamily(std::string name, std::string help) {
    return prometheus::MetricFamily{
        std::move(name), std::move(help), prometheus::MetricType::Counter, {}};
}

prometheus::MetricFamily gaugeFamily(std::string name, std::string help) {
    return prometheus::MetricFamily{
        std::move(name), std::move(help), prometheus::MetricType::Gauge, {}};
}

void addSample(prometheus::MetricFamily& family, double value,
               std::vector<prometheus::ClientMetric::Label> labels) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    if (family.type == prometheus::MetricType::Counter) {
        m.counter.value = value;
    } else {
        m.gauge.value = value;
    }
    family.metric.push_back(std::move(m));
}

}  // namespace sbc
