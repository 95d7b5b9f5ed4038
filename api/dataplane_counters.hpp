#pragma once
// The data plane's global counters: one list (STYLE.md #9) from which sbc-dataplane generates its
// per-lcore counter struct and the StatsReply names, and from which the control plane can
// generate metric help texts. Names are the StatsReply names; the control plane exports them as
// sbc_dataplane_<name>_total. Adding a counter appends a name; never reuse or rename one.
//
// X(name, help)
#define SBC_DP_LCORE_COUNTERS(X)                                                        \
    X(rx_packets, "frames received on media ports")                                     \
    X(rx_bytes, "bytes of frames received on media ports")                              \
    X(tx_packets, "frames sent on media ports")                                         \
    X(tx_bytes, "bytes of frames sent on media ports")                                  \
    X(relayed_rtp, "RTP packets relayed")                                               \
    X(relayed_rtcp, "RTCP packets relayed")                                             \
    X(latched, "remote addresses latched (RFC 7362)")                                   \
    X(arp_replies_sent, "ARP replies sent for our media addresses")                     \
    X(arp_requests_sent, "ARP requests sent to resolve next hops")                      \
    X(nd_adverts_sent, "IPv6 neighbour advertisements sent")                            \
    X(nd_solicits_sent, "IPv6 neighbour solicitations sent")                            \
    X(neighbours_learned, "neighbour entries learned or refreshed")                     \
    X(icmp_echo_replies, "ICMP / ICMPv6 echo replies sent")                             \
    X(flow_idle_events, "flows reported idle")                                          \
    X(drop_runt, "dropped: frame shorter than its headers")                             \
    X(drop_not_ip, "dropped: ethertype neither IPv4, IPv6 nor ARP")                     \
    X(drop_not_for_us, "dropped: destination MAC or IP not ours")                       \
    X(drop_bad_ip, "dropped: bad IP version, header length, total length or checksum")  \
    X(drop_ip_fragment, "dropped: IP fragment (RTP is never fragmented by sane peers)") \
    X(drop_ip_options, "dropped: IPv4 options or IPv6 extension headers")               \
    X(drop_not_udp, "dropped: IP protocol not UDP (nor ICMP echo)")                     \
    X(drop_bad_udp, "dropped: bad UDP length or checksum")                              \
    X(drop_no_flow, "dropped: no flow for the destination address and port")            \
    X(drop_not_rtp, "dropped: payload is not RTP/RTCP (version, length, payload type)") \
    X(drop_latch_refused, "dropped: source refused by the flow's latch mode")           \
    X(drop_no_remote, "dropped: the other end has no remote address yet")               \
    X(drop_no_neighbour, "dropped: next hop MAC not resolved yet")                      \
    X(drop_too_big, "dropped: rewritten frame exceeds the egress MTU")                  \
    X(drop_tx_full, "dropped: transmit queue full")                                     \
    X(drop_bad_arp, "dropped: malformed or foreign ARP")                                \
    X(drop_bad_icmp, "dropped: ICMP not an echo request, malformed, or bad checksum")   \
    X(drop_bad_nd, "dropped: malformed neighbour discovery")                            \
    X(drop_no_mbuf, "dropped: no mbuf for a reply")                                     \
    X(drop_multi_segment, "dropped: frame in several mbuf segments")                    \
    X(redirected, "packets handed to the lcore owning their flow")                      \
    X(drop_redirect_full, "dropped: the owning lcore's handoff ring was full")          \
    X(neighbour_table_full, "neighbour entries not stored because the table was full")  \
    X(worker_stalls,                                                                    \
      "poll-loop gaps over 10 ms: an lcore was not scheduled (isolate the data plane's cores)")

// Counters of the control-channel server (one writer: the control thread).
#define SBC_DP_CONTROL_COUNTERS(X)                                             \
    X(control_connections, "control-channel connections accepted")             \
    X(control_requests, "control-channel requests received")                   \
    X(control_errors, "control-channel requests answered with an Error")       \
    X(control_malformed, "control-channel messages that failed to decode")     \
    X(flows_created, "flows created")                                          \
    X(flows_reclaimed, "flows re-claimed during a resync")                     \
    X(flows_updated, "flows updated")                                          \
    X(flows_deleted, "flows deleted by request")                               \
    X(flows_removed_resync, "flows removed because no resync re-claimed them") \
    X(flows_table_full, "CreateFlow refused because the flow table was full")
