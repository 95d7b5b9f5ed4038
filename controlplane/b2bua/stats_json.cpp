#include "controlplane/b2bua/stats_json.hpp"

namespace sbc::b2bua {

namespace {

void add(std::string& out, const char* name, std::uint64_t v) {
    if (out.size() > 1) {
        out.push_back(',');
    }
    out.append("\"").append(name).append("\":").append(std::to_string(v));
}

}  // namespace

std::string statsJson(const B2buaStats& s, const DestinationMonitorStats* d) {
    std::string out = "{";
    add(out, "attempted", s.callsAttempted);
    add(out, "answered", s.callsAnswered);
    add(out, "failed", s.callsFailed);
    add(out, "cancelled", s.callsCancelled);
    add(out, "ended", s.callsEnded);
    add(out, "active", s.callsActive);
    add(out, "rejected_no_trunk", s.rejectedNoTrunk);
    add(out, "rejected_no_route", s.rejectedNoRoute);
    add(out, "rejected_overload", s.rejectedOverload);
    add(out, "rejected_trunk_limit", s.rejectedTrunkLimit);
    add(out, "rejected_loop", s.rejectedLoop);
    add(out, "rejected_media", s.rejectedMedia);
    add(out, "rejected_interval_too_small", s.rejectedIntervalTooSmall);
    add(out, "failovers", s.failovers);
    add(out, "redirects_followed", s.redirectsFollowed);
    add(out, "auth_answered", s.authAnswered);
    add(out, "auth_failed", s.authFailed);
    add(out, "timer_c", s.timerCFired);
    add(out, "ack_timeouts", s.ackTimeouts);
    add(out, "max_duration", s.maxDurationReached);
    add(out, "session_expired", s.sessionExpired);
    add(out, "media_timeouts", s.mediaTimeouts);
    add(out, "forked_answers_released", s.forkedAnswersReleased);
    add(out, "unknown_dialog", s.unknownDialog);
    add(out, "glare", s.glare);
    add(out, "in_dialog_relayed", s.inDialogRelayed);
    add(out, "send_failures", s.sendFailures);
    add(out, "restored", s.callsRestored);
    add(out, "restore_failures", s.restoreFailures);
    add(out, "store_write_failures", s.storeWriteFailures);
    if (d != nullptr) {
        add(out, "pings_sent", d->pingsSent);
        add(out, "pings_answered", d->pingsAnswered);
        add(out, "pings_failed", d->pingsFailed);
        add(out, "destinations_marked_down", d->markedDown);
        add(out, "destinations_marked_up", d->markedUp);
        add(out, "destinations_down", d->down);
    }
    out.push_back('}');
    return out;
}

}  // namespace sbc::b2bua
