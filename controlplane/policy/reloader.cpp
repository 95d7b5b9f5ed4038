#include "controlplane/policy/reloader.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

namespace sbc::policy {

PolicyReloader::~PolicyReloader() {
    if (worker_.joinable()) {
        worker_.join();
    }
}

void PolicyReloader::reload(Done done) {
    if (busy_) {
        ReloadOutcome busy;
        busy.busy = true;
        ++gate_.mutableStats().reloadFailures;
        done(busy);
        return;
    }
    busy_ = true;
    if (worker_.joinable()) {
        worker_.join();
    }
    worker_ = std::thread([this, done = std::move(done)]() mutable {
        auto t0 = std::chrono::steady_clock::now();
        CompileResult res = compilePolicy(files_);
        double compile =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        boost::asio::post(io_, [this, res = std::move(res), compile, done = std::move(done)]() {
            ReloadOutcome out;
            out.compileSeconds = compile;
            out.diagnostics = res.diagnostics;
            GateStats& stats = gate_.mutableStats();
            if (res.policy) {
                auto t1 = std::chrono::steady_clock::now();
                gate_.install(res.policy);
                out.swapSeconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
                out.ok = true;
                ++stats.reloads;
                stats.lastCompileSeconds = compile;
                stats.lastSwapSeconds = out.swapSeconds;
            } else {
                ++stats.reloadFailures;
            }
            busy_ = false;
            if (worker_.joinable()) {
                worker_.join();  // the worker has posted this and is returning
            }
            done(out);
        });
    });
}

}  // namespace sbc::policy
