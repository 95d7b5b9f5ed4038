#pragma once
// Reload (SIGHUP, `sbcctl reload`): compiles the policy files on a worker thread, off the SIP
// path, then posts the swap to the io_context thread, where PolicyGate::install() replaces the
// snapshot pointer. A file with errors is refused with the same messages `sbc policy check`
// prints and the old policy stays. Calls in progress keep the snapshot they hold (shared_ptr).
//
// Threading: reload() and the completion run on the io_context thread; compilePolicy() runs on
// the worker. One reload at a time; a request during a reload is refused (counted).
#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/policy/compile.hpp"
#include "controlplane/policy/gate.hpp"

namespace sbc::policy {

struct ReloadOutcome {
    bool ok = false;
    bool busy = false;  // another reload was running
    std::vector<Diagnostic> diagnostics;
    double compileSeconds = 0;  // worker thread
    double swapSeconds = 0;     // io thread
};

class PolicyReloader {
  public:
    using Done = std::function<void(const ReloadOutcome&)>;

    PolicyReloader(boost::asio::io_context& io, PolicyGate& gate, std::vector<std::string> files)
        : io_(io), gate_(gate), files_(std::move(files)) {}
    ~PolicyReloader();
    PolicyReloader(const PolicyReloader&) = delete;
    PolicyReloader& operator=(const PolicyReloader&) = delete;

    void reload(Done done);

  private:
    boost::asio::io_context& io_;
    PolicyGate& gate_;
    std::vector<std::string> files_;
    std::thread worker_;
    bool busy_ = false;
};

}  // namespace sbc::policy
