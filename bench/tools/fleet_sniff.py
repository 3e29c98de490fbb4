#!/usr/bin/env python3
"""fleet_sniff - what the simulated pods of scripts/bench_fleet.sh send each
other: run inside the switch's network namespace, it counts for SECONDS the
frames that enter the switch from the pods' links (interface names starting
with PREFIX), by kind:

  disc   UDP to an even DDS port 7400..7649: Cyclone's SPDP and SEDP (the
         discovery ports are 7400+250d+10+2i, data ports the odd ones)
  data   UDP to an odd DDS port: topics, ros_discovery_info, their heartbeats
  icmp   ICMP (port unreachable answers to SPDP sent to unused participant
         indices)
  other  ARP and the rest

and prints one line: "total N disc N data N icmp N other N dropped N".

    fleet_sniff.py PREFIX SECONDS
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    prefix, seconds = sys.argv[1], float(sys.argv[2])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)  # reset the kernel's counters
    counts = {"disc": 0, "data": 0, "icmp": 0, "other": 0}
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            frame, addr = s.recvfrom(128)
        except socket.timeout:
            break
        # a frame a pod sent enters the switch on its port (not OUTGOING there)
        if addr[2] == PACKET_OUTGOING or not addr[0].startswith(prefix):
            continue
        kind = "other"
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
            ihl = (frame[14] & 0x0F) * 4
            proto = frame[23]
            if proto == 1:
                kind = "icmp"
            elif proto == 17 and len(frame) >= 14 + ihl + 4:
                dport = struct.unpack_from("!H", frame, 14 + ihl + 2)[0]
                if 7400 <= dport <= 7649:
                    kind = "data" if dport % 2 else "disc"
        counts[kind] += 1
    _, dropped = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    total = sum(counts.values())
    print(f"total {total} " + " ".join(f"{k} {v}" for k, v in counts.items()) +
          f" dropped {dropped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
