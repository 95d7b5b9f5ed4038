#include "dataplane/flow_table.hpp"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace sbc::dataplane {

using dpapi::ErrorCode;

namespace {

std::uint16_t derivedRtcpPort(const dpapi::FlowEnd& e) {
    if (e.rtcpMux) {
        return e.remoteRtpPort;
    }
    return e.remoteRtcpPort != 0 ? e.remoteRtcpPort
                                 : static_cast<std::uint16_t>(e.remoteRtpPort + 1);
}

}  // namespace

FlowTable::FlowTable(FlowTableSetup setup)
    : setup_(std::move(setup)), info_(setup_.capacity), ownerLoad_(setup_.commandRings.size(), 0) {
    freeSlots_.reserve(setup_.capacity);
    for (std::uint32_t i = setup_.capacity; i > 0; --i) {
        freeSlots_.push_back(i - 1);
    }
    byId_.reserve(setup_.capacity);
}

dpapi::Message FlowTable::error(ErrorCode code, std::string text) {
    ++counters_.control_errors;
    return dpapi::ErrorReply{code, std::move(text)};
}

dpapi::HelloReply FlowTable::hello(std::uint64_t generation) {
    dpapi::HelloReply r;
    r.bootId = setup_.bootId;
    r.previousGeneration = generation_;
    generation_ = generation;
    r.generation = generation;
    r.flowCount = count();
    r.flowCapacity = capacity();
    for (unsigned i = 0; i < setup_.interfaceCount; ++i) {
        const Interface& in = setup_.interfaces[i];
        dpapi::InterfaceInfo info;
        info.name = in.name;
        std::memcpy(info.mac.data(), in.mac.addr_bytes, 6);
        info.mtu = in.mtu;
        for (const auto& a : in.addresses) {
            info.addresses.push_back({a.ip, a.prefixLength});
        }
        r.interfaces.push_back(std::move(info));
    }
    return r;
}

std::optional<dpapi::ErrorReply> FlowTable::resolve(const dpapi::FlowSpec& spec,
                                                    Resolved& out) const {
    if (auto why = dpapi::validate(spec); !why.empty()) {
        return dpapi::ErrorReply{ErrorCode::BadMessage, why};
    }
    if (spec.generation != generation_) {
        return dpapi::ErrorReply{ErrorCode::StaleGeneration, "generation " +
                                                                 std::to_string(spec.generation) +
                                                                 " is not the current generation " +
                                                                 std::to_string(generation_)};
    }
    const dpapi::FlowEnd* ends[2] = {&spec.a, &spec.b};
    for (unsigned k = 0; k < 2; ++k) {
        const dpapi::FlowEnd& e = *ends[k];
        unsigned i = 0;
        while (i < setup_.interfaceCount && setup_.interfaces[i].name != e.interface) {
            ++i;
        }
        if (i == setup_.interfaceCount) {
            return dpapi::ErrorReply{ErrorCode::UnknownInterface,
                                     "no interface named '" + e.interface + "'"};
        }
        if (!setup_.interfaces[i].owns(e.local.family, e.local.bytes.data())) {
            return dpapi::ErrorReply{
                ErrorCode::AddressNotOwned,
                e.local.toString() + " is not a media address of '" + e.interface + "'"};
        }
        out.iface[k] = static_cast<std::uint8_t>(i);
    }
    return std::nullopt;
}

bool FlowTable::sameLocals(const Flow& f, const dpapi::FlowSpec& spec, const Resolved& r) const {
    const dpapi::FlowEnd* ends[2] = {&spec.a, &spec.b};
    for (unsigned k = 0; k < 2; ++k) {
        const EndState& s = f.end[k];
        const dpapi::FlowEnd& e = *ends[k];
        std::uint16_t rtcp = e.rtcpMux ? e.localRtpPort : e.localRtcpPort;
        if (s.iface != r.iface[k] || s.family != e.local.family || s.rtcpMux != e.rtcpMux ||
            std::memcmp(s.localIp, e.local.bytes.data(), 16) != 0 ||
            s.localRtpPort != rte_cpu_to_be_16(e.localRtpPort) ||
            s.localRtcpPort != rte_cpu_to_be_16(rtcp)) {
            return false;
        }
    }
    return true;
}

FlowKey FlowTable::keyOf(const EndState& e, bool rtcp) const noexcept {
    FlowKey k;
    std::memset(&k, 0, sizeof k);
    std::memcpy(k.addr, e.localIp, e.family == 4 ? 4 : 16);
    k.port = rtcp ? e.localRtcpPort : e.localRtpPort;
    k.family = e.family;
    k.iface = e.iface;
    return k;
}

FlowTable::EndRequest FlowTable::requestOf(const dpapi::FlowEnd& e) {
    return EndRequest{e.latch, e.remote, e.remoteRtpPort, e.remoteRtcpPort, e.clockRate};
}

EndConfig FlowTable::endConfig(const dpapi::FlowEnd& e, bool resetRemote) const noexcept {
    EndConfig c;
    c.latch = e.latch;
    c.hasRemote = e.remote.isSet();
    std::memcpy(c.ip, e.remote.bytes.data(), 16);
    c.rtpPort = rte_cpu_to_be_16(e.remoteRtpPort);
    c.rtcpPort = c.hasRemote ? rte_cpu_to_be_16(derivedRtcpPort(e)) : 0;
    c.tsMultiplier = static_cast<std::uint64_t>(
        (static_cast<unsigned __int128>(e.clockRate) << 40) / setup_.tscHz);
    c.resetRemote = resetRemote;
    return c;
}

bool FlowTable::sendCommand(std::uint32_t slot, const dpapi::FlowSpec& spec, bool reset0,
                            bool reset1) {
    const Flow& f = setup_.flows[slot];
    void* obj = nullptr;
    // The lcores return commands within microseconds; a bounded wait covers a burst of changes.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (rte_mempool_get(setup_.commandPool, &obj) != 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    auto* c = static_cast<FlowCommand*>(obj);
    c->slot = slot;
    c->incarnation = f.incarnation;
    c->flowId = f.flowId;
    c->end[0] = endConfig(spec.a, reset0);
    c->end[1] = endConfig(spec.b, reset1);
    while (rte_ring_sp_enqueue(setup_.commandRings[f.owner], c) != 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            rte_mempool_put(setup_.commandPool, c);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return true;
}

std::uint32_t FlowTable::pickOwner() const {
    return static_cast<std::uint32_t>(std::min_element(ownerLoad_.begin(), ownerLoad_.end()) -
                                      ownerLoad_.begin());
}

dpapi::Message FlowTable::create(const dpapi::FlowSpec& spec) {
    Resolved r{};
    if (auto err = resolve(spec, r)) {
        return error(err->code, err->text);
    }
    if (auto it = byId_.find(spec.flowId); it != byId_.end()) {
        std::uint32_t slot = it->second;
        if (!sameLocals(setup_.flows[slot], spec, r)) {
            return error(ErrorCode::FlowConflict,
                         "flow " + std::to_string(spec.flowId) + " exists with other locals");
        }
        // Re-claim (resync): keep counters and latches; take remotes the request changes.
        SlotInfo& info = info_[slot];
        EndRequest a = requestOf(spec.a);
        EndRequest b = requestOf(spec.b);
        if (!(a == info.end[0]) || !(b == info.end[1])) {
            bool resetA = a.remote != info.end[0].remote ||
                          a.remoteRtpPort != info.end[0].remoteRtpPort ||
                          a.remoteRtcpPort != info.end[0].remoteRtcpPort;
            bool resetB = b.remote != info.end[1].remote ||
                          b.remoteRtpPort != info.end[1].remoteRtpPort ||
                          b.remoteRtcpPort != info.end[1].remoteRtcpPort;
            if (!sendCommand(slot, spec, resetA, resetB)) {
                return error(ErrorCode::Internal, "the owning lcore does not take commands");
            }
            info.end[0] = a;
            info.end[1] = b;
        }
        info.generation = spec.generation;
        info.idleTimeoutMs = spec.idleTimeoutMs;
        ++counters_.flows_reclaimed;
        return dpapi::CreateFlowReply{spec.flowId, true};
    }
    // Every local port must be free.
    const dpapi::FlowEnd* ends[2] = {&spec.a, &spec.b};
    EndState probe[2];
    for (unsigned k = 0; k < 2; ++k) {
        const dpapi::FlowEnd& e = *ends[k];
        probe[k].iface = r.iface[k];
        probe[k].family = e.local.family;
        std::memcpy(probe[k].localIp, e.local.bytes.data(), 16);
        probe[k].localRtpPort = rte_cpu_to_be_16(e.localRtpPort);
        probe[k].localRtcpPort = rte_cpu_to_be_16(e.rtcpMux ? e.localRtpPort : e.localRtcpPort);
        for (bool rtcp : {false, true}) {
            if (rtcp && e.rtcpMux) {
                continue;
            }
            FlowKey key = keyOf(probe[k], rtcp);
            if (rte_hash_lookup(setup_.hash, &key) >= 0) {
                return error(ErrorCode::PortInUse,
                             e.local.toString() + " port " +
                                 std::to_string(rtcp ? e.localRtcpPort : e.localRtpPort) +
                                 " is used by another flow");
            }
        }
    }
    if (freeSlots_.empty()) {
        ++counters_.flows_table_full;
        return error(ErrorCode::TableFull,
                     "flow table full (" + std::to_string(capacity()) + " flows)");
    }
    std::uint32_t slot = freeSlots_.back();
    Flow& f = setup_.flows[slot];
    std::uint32_t incarnation = f.incarnation + 1;
    std::memset(static_cast<void*>(&f), 0, sizeof f);
    f.incarnation = incarnation;
    f.owner = pickOwner();
    f.flowId = spec.flowId;
    for (unsigned k = 0; k < 2; ++k) {
        const dpapi::FlowEnd& e = *ends[k];
        EndState& s = f.end[k];
        s = probe[k];
        s.rtcpMux = e.rtcpMux;
        EndConfig c = endConfig(e, true);
        s.latch = c.latch;
        s.tsMultiplier = c.tsMultiplier;
        s.hasConfiguredRemote = c.hasRemote;
        std::memcpy(s.configuredIp, c.ip, 16);
        s.configuredRtpPort = c.rtpPort;
        s.configuredRtcpPort = c.rtcpPort;
        s.hasRemote = c.hasRemote;
        std::memcpy(s.remoteIp, c.ip, 16);
        s.remoteRtpPort = c.rtpPort;
        s.remoteRtcpPort = c.rtcpPort;
        if (s.hasRemote) {
            s.hasNextHop = setup_.interfaces[s.iface].nextHop(s.family, s.remoteIp, s.nextHop);
        }
    }
    // Publish: the hash insert is the release point for the slot's contents.
    std::vector<FlowKey> added;
    for (unsigned k = 0; k < 2; ++k) {
        for (bool rtcp : {false, true}) {
            if (rtcp && f.end[k].rtcpMux) {
                continue;
            }
            FlowKey key = keyOf(f.end[k], rtcp);
            auto data = reinterpret_cast<void*>(flowKeyData(slot, k, rtcp));
            if (rte_hash_add_key_data(setup_.hash, &key, data) != 0) {
                // Roll back the keys already added.
                std::vector<std::int32_t> positions;
                for (const auto& old : added) {
                    std::int32_t pos = rte_hash_del_key(setup_.hash, &old);
                    if (pos >= 0) {
                        positions.push_back(pos);
                    }
                }
                waitGracePeriod();
                for (auto pos : positions) {
                    rte_hash_free_key_with_position(setup_.hash, pos);
                }
                f.flowId = 0;
                ++counters_.flows_table_full;
                return error(ErrorCode::TableFull, "flow hash full");
            }
            added.push_back(key);
        }
    }
    freeSlots_.pop_back();
    byId_.emplace(spec.flowId, slot);
    ++ownerLoad_[f.owner];
    SlotInfo& info = info_[slot];
    info = SlotInfo{};
    info.generation = spec.generation;
    info.idleTimeoutMs = spec.idleTimeoutMs;
    info.createdTsc = rte_rdtsc();
    info.end[0] = requestOf(spec.a);
    info.end[1] = requestOf(spec.b);
    // Let the owner resolve the next hops now (best effort: a full ring only delays that).
    sendCommand(slot, spec, false, false);
    ++counters_.flows_created;
    return dpapi::CreateFlowReply{spec.flowId, false};
}

dpapi::Message FlowTable::update(const dpapi::FlowSpec& spec) {
    Resolved r{};
    if (auto err = resolve(spec, r)) {
        return error(err->code, err->text);
    }
    auto it = byId_.find(spec.flowId);
    if (it == byId_.end()) {
        return error(ErrorCode::NoSuchFlow, "no flow " + std::to_string(spec.flowId));
    }
    std::uint32_t slot = it->second;
    if (!sameLocals(setup_.flows[slot], spec, r)) {
        return error(ErrorCode::FlowConflict, "UpdateFlow cannot change local addresses/ports");
    }
    SlotInfo& info = info_[slot];
    EndRequest a = requestOf(spec.a);
    EndRequest b = requestOf(spec.b);
    bool resetA = a.remote != info.end[0].remote || a.remoteRtpPort != info.end[0].remoteRtpPort ||
                  a.remoteRtcpPort != info.end[0].remoteRtcpPort;
    bool resetB = b.remote != info.end[1].remote || b.remoteRtpPort != info.end[1].remoteRtpPort ||
                  b.remoteRtcpPort != info.end[1].remoteRtcpPort;
    if (!sendCommand(slot, spec, resetA, resetB)) {
        return error(ErrorCode::Internal, "the owning lcore does not take commands");
    }
    info.end[0] = a;
    info.end[1] = b;
    info.idleTimeoutMs = spec.idleTimeoutMs;
    ++counters_.flows_updated;
    return dpapi::UpdateFlowReply{spec.flowId};
}

void FlowTable::waitGracePeriod() {
    // Every online worker passes a quiescent state once per loop iteration (microseconds). Yield
    // while waiting rather than spin: where workers share a core with this thread (tests, small
    // machines) spinning would only delay them.
    std::uint64_t token = rte_rcu_qsbr_start(setup_.rcu);
    while (rte_rcu_qsbr_check(setup_.rcu, token, false) == 0) {
        std::this_thread::yield();
    }
}

void FlowTable::unpublish(const std::vector<std::uint32_t>& slots) {
    std::vector<std::int32_t> positions;
    positions.reserve(slots.size() * 4);
    for (auto slot : slots) {
        const Flow& f = setup_.flows[slot];
        for (unsigned k = 0; k < 2; ++k) {
            for (bool rtcp : {false, true}) {
                if (rtcp && f.end[k].rtcpMux) {
                    continue;
                }
                FlowKey key = keyOf(f.end[k], rtcp);
                std::int32_t pos = rte_hash_del_key(setup_.hash, &key);
                if (pos >= 0) {
                    positions.push_back(pos);
                }
            }
        }
    }
    // After this no lcore holds a reference obtained from the removed keys.
    waitGracePeriod();
    for (auto pos : positions) {
        rte_hash_free_key_with_position(setup_.hash, pos);
    }
}

void FlowTable::release(std::uint32_t slot) {
    Flow& f = setup_.flows[slot];
    byId_.erase(f.flowId);
    --ownerLoad_[f.owner];
    f.flowId = 0;
    freeSlots_.push_back(slot);
}

dpapi::Message FlowTable::remove(std::uint64_t flowId) {
    return removeMany({flowId})[0];
}

std::vector<dpapi::Message> FlowTable::removeMany(const std::vector<std::uint64_t>& flowIds) {
    std::vector<dpapi::Message> replies(flowIds.size());
    std::vector<std::uint32_t> slots;
    std::vector<std::size_t> index;  // reply index of each slot
    for (std::size_t i = 0; i < flowIds.size(); ++i) {
        auto it = byId_.find(flowIds[i]);
        bool dup =
            it != byId_.end() && std::find(slots.begin(), slots.end(), it->second) != slots.end();
        if (it == byId_.end() || dup) {
            replies[i] = error(ErrorCode::NoSuchFlow, "no flow " + std::to_string(flowIds[i]));
            continue;
        }
        slots.push_back(it->second);
        index.push_back(i);
    }
    if (slots.empty()) {
        return replies;
    }
    unpublish(slots);  // one grace period for the whole batch
    for (std::size_t k = 0; k < slots.size(); ++k) {
        const Flow& f = setup_.flows[slots[k]];
        replies[index[k]] =
            dpapi::DeleteFlowReply{f.flowId, endStats(f.end[0]), endStats(f.end[1])};
        release(slots[k]);
        ++counters_.flows_deleted;
    }
    return replies;
}

dpapi::Message FlowTable::resyncDone(std::uint64_t generation) {
    if (generation != generation_) {
        return error(ErrorCode::StaleGeneration, "ResyncDone for generation " +
                                                     std::to_string(generation) + ", current is " +
                                                     std::to_string(generation_));
    }
    std::vector<std::uint32_t> stale;
    for (const auto& [id, slot] : byId_) {
        if (info_[slot].generation != generation) {
            stale.push_back(slot);
        }
    }
    if (!stale.empty()) {
        unpublish(stale);
        for (auto slot : stale) {
            release(slot);
        }
    }
    counters_.flows_removed_resync += stale.size();
    return dpapi::ResyncDoneReply{static_cast<std::uint32_t>(stale.size())};
}

dpapi::EndStats FlowTable::endStats(const EndState& e) const noexcept {
    dpapi::EndStats s;
    s.packets = readCounter(e.packets);
    s.bytes = readCounter(e.bytes);
    s.rtcpPackets = readCounter(e.rtcpPackets);
    s.rtcpBytes = readCounter(e.rtcpBytes);
    const RtpReceiveState& r = e.rtp;
    if (__atomic_load_n(&r.started, __ATOMIC_RELAXED)) {
        std::uint64_t expected = std::uint64_t{__atomic_load_n(&r.cycles, __ATOMIC_RELAXED)} +
                                 __atomic_load_n(&r.maxSeq, __ATOMIC_RELAXED) -
                                 __atomic_load_n(&r.baseSeq, __ATOMIC_RELAXED) + 1;
        std::uint64_t received = readCounter(r.received);
        s.lost = expected > received ? expected - received : 0;
    }
    s.lost += readCounter(r.lostBefore);
    s.jitter = __atomic_load_n(&r.jitterQ4, __ATOMIC_RELAXED) >> 4;
    std::uint64_t seen = readCounter(e.lastSeenTsc);
    if (seen != 0) {
        s.lastSeenMs = setup_.bootUnixMs + (seen - setup_.bootTsc) * 1000 / setup_.tscHz;
    }
    s.dropsNotRtp = readCounter(e.dropsNotRtp);
    s.dropsLatch = readCounter(e.dropsLatch);
    s.dropsNoRemote = readCounter(e.dropsNoRemote);
    s.dropsNoNeighbour = readCounter(e.dropsNoNeighbour);
    s.dropsTxFull = readCounter(e.dropsTxFull);
    return s;
}

dpapi::FlowSpec FlowTable::specOf(std::uint32_t slot) const {
    const Flow& f = setup_.flows[slot];
    const SlotInfo& info = info_[slot];
    dpapi::FlowSpec s;
    s.flowId = f.flowId;
    s.generation = info.generation;
    s.idleTimeoutMs = info.idleTimeoutMs;
    dpapi::FlowEnd* ends[2] = {&s.a, &s.b};
    for (unsigned k = 0; k < 2; ++k) {
        const EndState& e = f.end[k];
        dpapi::FlowEnd& o = *ends[k];
        o.interface = setup_.interfaces[e.iface].name;
        o.local.family = e.family;
        std::memcpy(o.local.bytes.data(), e.localIp, 16);
        o.localRtpPort = rte_be_to_cpu_16(e.localRtpPort);
        o.rtcpMux = e.rtcpMux;
        o.localRtcpPort = e.rtcpMux ? 0 : rte_be_to_cpu_16(e.localRtcpPort);
        o.latch = info.end[k].latch;
        o.clockRate = info.end[k].clockRate;
        // The remote as the lcore holds it now (latched or configured). A read racing a latch
        // may mix old and new: this is a report, never fed back.
        if (__atomic_load_n(&e.hasRemote, __ATOMIC_RELAXED)) {
            o.remote.family = e.family;
            std::memcpy(o.remote.bytes.data(), e.remoteIp, e.family == 4 ? 4 : 16);
            o.remoteRtpPort = rte_be_to_cpu_16(__atomic_load_n(&e.remoteRtpPort, __ATOMIC_RELAXED));
            o.remoteRtcpPort =
                e.rtcpMux ? 0
                          : rte_be_to_cpu_16(__atomic_load_n(&e.remoteRtcpPort, __ATOMIC_RELAXED));
            if (o.remoteRtpPort == 0 || (!e.rtcpMux && o.remoteRtcpPort == 0)) {
                o.remote = {};
                o.remoteRtpPort = 0;
                o.remoteRtcpPort = 0;
            }
        }
    }
    return s;
}

dpapi::Message FlowTable::list(const dpapi::ListFlows& req) const {
    dpapi::ListFlowsReply r;
    std::uint64_t slot = req.cursor;
    for (; slot < setup_.capacity && r.flows.size() < req.maxCount; ++slot) {
        const Flow& f = setup_.flows[slot];
        if (f.flowId == 0) {
            continue;
        }
        r.flows.push_back(
            {specOf(static_cast<std::uint32_t>(slot)), endStats(f.end[0]), endStats(f.end[1])});
    }
    r.nextCursor = slot < setup_.capacity ? slot : 0;
    return r;
}

std::vector<dpapi::FlowIdleEvent> FlowTable::scanIdle(std::uint64_t nowTsc) {
    std::vector<dpapi::FlowIdleEvent> events;
    for (const auto& [id, slot] : byId_) {
        SlotInfo& info = info_[slot];
        const Flow& f = setup_.flows[slot];
        std::uint64_t last = std::max({info.createdTsc, readCounter(f.end[0].lastSeenTsc),
                                       readCounter(f.end[1].lastSeenTsc)});
        std::uint32_t timeoutMs =
            info.idleTimeoutMs != 0 ? info.idleTimeoutMs : setup_.defaultIdleTimeoutMs;
        std::uint64_t idleMs = nowTsc > last ? (nowTsc - last) * 1000 / setup_.tscHz : 0;
        if (idleMs < timeoutMs) {
            info.idleReported = false;  // traffic resumed: re-arm
            continue;
        }
        if (info.idleReported) {
            continue;
        }
        info.idleReported = true;
        events.push_back({id, info.generation,
                          static_cast<std::uint32_t>(std::min<std::uint64_t>(idleMs, UINT32_MAX)),
                          endStats(f.end[0]), endStats(f.end[1])});
    }
    return events;
}

}  // namespace sbc::dataplane
