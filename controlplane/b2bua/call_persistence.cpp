// The B2BUA's established calls as CallRecords: written to the CallStore when they change,
// restored from it by a new process (B2bua::restore).
#include <algorithm>

#include "controlplane/b2bua/b2bua.hpp"

namespace sbc::b2bua {

namespace {

std::string dialogKeyOf(const Leg& l) {
    return l.callId + "\n" + l.localTag;
}

LegRecord legRecordOf(const Leg& l) {
    LegRecord r;
    r.callId = l.callId;
    r.localTag = l.localTag;
    r.remoteTag = l.remoteTag;
    r.localUri = l.localUri;
    r.remoteUri = l.remoteUri;
    r.localCseq = l.localCseq;
    if (l.remoteCseqSet) {
        r.remoteCseq = l.remoteCseq;
    }
    r.remoteTarget = l.remoteTarget;
    r.routeSet = l.routeSet;
    if (l.listener != nullptr) {
        r.listenerId = l.listener->id;
        r.listenerSide = l.listener->side;
        r.transport = l.listener->transport;
    }
    r.targetAddress = l.target.address;
    r.targetPort = l.target.port;
    r.trunk = l.trunk != nullptr ? l.trunk->name : std::string();
    r.supports100rel = l.supports100rel;
    return r;
}

std::chrono::milliseconds until(WallClock::time_point when, WallClock::time_point now) {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(when - now));
}

}  // namespace

CallRecord B2bua::recordOf(const Call& call) const {
    CallRecord r;
    r.callNumber = call.id;
    r.a = legRecordOf(call.a);
    r.b = legRecordOf(call.b);
    r.inTrunk = call.cdr.fromTrunk;
    r.outTrunk = call.cdr.toTrunk;
    r.media = call.media->state();
    if (call.sessionInterval.count() > 0 && call.sessionTimer != transaction::kNoTimer) {
        r.sessionTimer =
            SessionTimerRecord{call.sessionInterval, call.sessionRefresher, call.sessionExpires};
    }
    if (call.durationTimer != transaction::kNoTimer) {
        r.maxDurationDeadline = call.durationDeadline;
    }
    r.cdr = call.cdr;
    return r;
}

void B2bua::persist(Call& call) {
    if (store_ == nullptr) {
        return;
    }
    if (store_->put(recordOf(call))) {
        call.persisted = true;
    } else {
        // The call goes on; only a restart of sbc during it would lose it.
        ++stats_.storeWriteFailures;
    }
}

const SideListener* B2bua::restoreListener(const LegRecord& leg) const {
    // Listener ids follow the configuration's order: the same configuration gives the same ids.
    // When it changed, any listener of the same side and transport will do.
    const SideListener* l = listenerById(leg.listenerId);
    if (l != nullptr && l->side == leg.listenerSide && l->transport == leg.transport) {
        return l;
    }
    bool ipv6 = leg.targetAddress.find(':') != std::string::npos;
    return listenerFor(leg.listenerSide, leg.transport, ipv6);
}

RestoreReport B2bua::restore(CallStore& store) {
    store_ = &store;
    RestoreReport report;
    LoadedCalls loaded = store.loadAll();
    for (const StoreError& e : loaded.errors) {
        ++stats_.restoreFailures;
        report.problems.push_back(e.where + ": " + e.message);
    }
    for (CallRecord& r : loaded.records) {
        std::uint64_t number = r.callNumber;
        std::string problem;
        if (restoreCall(std::move(r), problem)) {
            ++report.restored;
        } else {
            ++stats_.restoreFailures;
            if (!calls_.contains(number)) {
                store.erase(number);
            }
        }
        if (!problem.empty()) {
            report.problems.push_back("call " + std::to_string(number) + ": " + problem);
        }
    }
    return report;
}

bool B2bua::restoreCall(CallRecord r, std::string& problem) {
    if (calls_.contains(r.callNumber)) {
        problem = "a call with this number is live";
        return false;
    }
    const SideListener* aListener = restoreListener(r.a);
    const SideListener* bListener = restoreListener(r.b);
    if (aListener == nullptr || bListener == nullptr) {
        problem = "no listener for side " +
                  (aListener == nullptr ? r.a.listenerSide : r.b.listenerSide) +
                  " and its transport any more";
        return false;
    }

    auto owned = std::make_unique<Call>();
    Call& call = *owned;
    call.id = r.callNumber;
    call.policy = policy_ ? policy_() : nullptr;
    // Trunks by name in the current policy; a trunk that is gone leaves the pointer null.
    call.inTrunk = call.policy ? call.policy->trunk(r.inTrunk) : nullptr;
    call.outTrunk = call.policy ? call.policy->trunk(r.outTrunk) : nullptr;
    auto restoreLeg = [&call](Leg& l, const LegRecord& lr, const SideListener* listener) {
        l.callId = lr.callId;
        l.localTag = lr.localTag;
        l.remoteTag = lr.remoteTag;
        l.localUri = lr.localUri;
        l.remoteUri = lr.remoteUri;
        l.localCseq = lr.localCseq;
        l.remoteCseqSet = lr.remoteCseq.has_value();
        l.remoteCseq = lr.remoteCseq.value_or(0);
        l.remoteTarget = lr.remoteTarget;
        l.routeSet = lr.routeSet;
        // A TCP/TLS connection died with the old process: requests go to the address and port
        // (a connection the peer opened anew from there is reused, RFC 3261 §18.1.1).
        l.target = transaction::Target{listener->id, 0, lr.targetAddress, lr.targetPort,
                                       lr.transport != policy::Transport::Udp};
        l.listener = listener;
        l.trunk = lr.trunk.empty() || !call.policy ? nullptr : call.policy->trunk(lr.trunk);
        l.confirmed = true;
        l.supports100rel = lr.supports100rel;
    };
    restoreLeg(call.a, r.a, aListener);
    restoreLeg(call.b, r.b, bListener);
    if (dialogs_.contains(dialogKeyOf(call.a)) || dialogs_.contains(dialogKeyOf(call.b))) {
        problem = "its dialogs belong to a live call";
        return false;
    }
    call.state = CallState::Established;
    call.aInviteBase = std::make_shared<ResponseBase>();
    call.cdr = std::move(r.cdr);
    call.cdr.id = call.id;

    // The media session: adopted with its ports, so that the data plane's flows (counters,
    // latched remotes) carry on. Refused: the session is not ours to release.
    std::optional<media::SessionId> lostSession;
    if (r.media.session && !media_.adopt(*r.media.session, r.media.streams)) {
        lostSession = r.media.session;
        r.media.session.reset();
        r.media.streams.clear();
    }
    call.media = std::make_unique<CallMedia>(media_, std::move(r.media));

    std::uint64_t id = call.id;
    for (const policy::Trunk* t :
         {call.inTrunk, call.outTrunk == call.inTrunk ? nullptr : call.outTrunk}) {
        if (t != nullptr) {
            ++trunkCalls_[t->name];
        }
    }
    calls_.emplace(id, std::move(owned));
    indexDialog(call, LegId::A);
    indexDialog(call, LegId::B);
    nextCall_ = std::max(nextCall_, id + 1);
    stats_.callsActive = calls_.size();
    call.persisted = true;

    WallClock::time_point now = clock_();
    if (r.maxDurationDeadline) {
        call.durationDeadline = r.maxDurationDeadline;
        scheduleDuration(call, until(*r.maxDurationDeadline, now));
    }
    if (r.sessionTimer) {
        call.sessionInterval = r.sessionTimer->interval;
        call.sessionRefresher = r.sessionTimer->refresher;
        call.sessionExpires = r.sessionTimer->expires;
        scheduleSessionExpiry(call, until(r.sessionTimer->expires, now));
    }
    if (lostSession) {
        // Signalling alone is no call: both ends are told, and the CDR says why.
        problem = "media session " + std::to_string(*lostSession) +
                  " could not be adopted (ports outside the pools or taken): call ended";
        byeBoth(call, "media_lost");
        return false;
    }
    ++stats_.callsRestored;
    return true;
}

}  // namespace sbc::b2bua
