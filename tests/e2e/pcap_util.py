"""Reads classic pcap files (what tshark -F pcap writes): Ethernet / 802.1Q / IPv4 / IPv6 / UDP."""
import ipaddress
import struct


def udp_packets(path):
    """Yields (src_ip, src_port, dst_ip, dst_port, payload bytes) of every UDP datagram."""
    for p in udp_packets_timed(path):
        yield p[1:]


def udp_packets_timed(path):
    """Yields (unix time, src_ip, src_port, dst_ip, dst_port, payload) of every UDP datagram."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        ts = sec + frac / (1e9 if magic in (0xA1B23C4D, 0x4D3CB2A1) else 1e6)
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:  # Ethernet
            if len(frame) < 14:
                continue
            etype = struct.unpack("!H", frame[12:14])[0]
            p = 14
            if etype == 0x8100 and len(frame) >= 18:
                etype = struct.unpack("!H", frame[16:18])[0]
                p = 18
        elif linktype == 113:  # Linux cooked (tshark -i any)
            if len(frame) < 16:
                continue
            etype = struct.unpack("!H", frame[14:16])[0]
            p = 16
        else:
            continue
        if etype == 0x0800 and len(frame) >= p + 20:
            ihl = (frame[p] & 0x0F) * 4
            if frame[p + 9] != 17:
                continue
            src = str(ipaddress.IPv4Address(frame[p + 12:p + 16]))
            dst = str(ipaddress.IPv4Address(frame[p + 16:p + 20]))
            u = p + ihl
        elif etype == 0x86DD and len(frame) >= p + 40:
            if frame[p + 6] != 17:
                continue
            src = str(ipaddress.IPv6Address(frame[p + 8:p + 24]))
            dst = str(ipaddress.IPv6Address(frame[p + 24:p + 40]))
            u = p + 40
        else:
            continue
        if len(frame) < u + 8:
            continue
        sport, dport, ulen = struct.unpack("!HHH", frame[u:u + 6])
        yield ts, src, sport, dst, dport, frame[u + 8:u + ulen]
