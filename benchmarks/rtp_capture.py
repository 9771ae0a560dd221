"""The RTP a SIP peer sends, captured on loopback by tcpdump and measured from the pcap afterwards.

The timestamps are the kernel's, taken as each packet passes the loopback device, that is when
the sender's `sendto` handed it over; the receiver on loopback gets it then too. No Python
receiver reads the packets while the calls run, so the measurement takes no CPU from the two
cores the peer runs on beyond tcpdump's copy into its buffer.
"""

from __future__ import annotations

import struct
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from processes import stop

SNAPLEN = 96  # Ethernet, IPv4 and UDP headers and the 12 bytes of RTP header
BUFFER_KB = 131072  # tcpdump's kernel buffer: 25,000 packets a second must not overflow it
PCAP_MAGIC = {0xA1B2C3D4: 1e-6, 0xA1B23C4D: 1e-9}  # microsecond and nanosecond pcaps
LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL = 1, 113
START_TIMEOUT_S = 10.0


class Capture:
    """tcpdump writing every UDP datagram sent to some ports on 127.0.0.1 to a pcap file."""

    def __init__(self, path: Path, dst_ports: list[int]) -> None:
        self.path = path
        self.log = path.with_suffix(".log")
        with self.log.open("wb") as err:
            self.process = subprocess.Popen(
                ["tcpdump", "-i", "lo", "-n", "-s", str(SNAPLEN), "-B", str(BUFFER_KB),
                 "--time-stamp-precision=nano", "-w", str(path),
                 "udp and dst host 127.0.0.1 and ("
                 + " or ".join(f"dst port {port}" for port in dst_ports) + ")"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + START_TIMEOUT_S
        while b"listening on" not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                stop(self.process, 5)
                raise RuntimeError(f"tcpdump did not start: {self.log.read_text()}")
            time.sleep(0.05)

    def finish(self) -> int | None:
        """Stop tcpdump (it flushes the file on SIGTERM); return the packets the kernel dropped."""
        stop(self.process, 10)
        for line in self.log.read_text(errors="replace").splitlines():
            if "dropped by kernel" in line:
                return int(line.split()[0])
        return None


def streams(path: Path) -> dict[tuple[int, int], list[tuple[float, int]]]:
    """Return each RTP stream of a pcap, (source port, SSRC) -> [(time, sequence)] in order."""
    data = path.read_bytes()
    magic, = struct.unpack_from("<I", data, 0)
    order = "<"
    if magic not in PCAP_MAGIC:
        order, magic = ">", struct.unpack_from(">I", data, 0)[0]
    fraction = PCAP_MAGIC[magic]
    linktype, = struct.unpack_from(order + "I", data, 20)
    link = {LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16}[linktype]
    record = struct.Struct(order + "IIII")
    found: dict[tuple[int, int], list[tuple[float, int]]] = defaultdict(list)
    at = 24
    while at + 16 <= len(data):
        seconds, part, captured, _ = record.unpack_from(data, at)
        at += 16
        ip = at + link
        at += captured
        header = (data[ip] & 0x0F) * 4
        udp = ip + header
        rtp = udp + 8
        if rtp + 12 > at or data[rtp] >> 6 != 2:
            continue  # cut short, or not RTP version 2
        source, = struct.unpack_from("!H", data, udp)
        sequence, _, ssrc = struct.unpack_from("!HII", data, rtp + 2)
        found[(source, ssrc)].append((seconds + part * fraction, sequence))
    return found


def percentile(ordered: list[float], share: float) -> float:
    """Return the value below which `share` of the sorted values lie (nearest rank)."""
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def gaps(found: dict[tuple[int, int], list[tuple[float, int]]],
         steady: tuple[float, float] | None = None) -> dict:
    """Return the inter-packet gaps of every stream, pooled: mean, p50, p99, max in ms.

    With `steady` (seconds from the first packet), the p99 and max of the gaps ending within
    that window too, and a timeline: per second, the gaps over 30 ms and the longest.
    """
    pooled: list[float] = []
    window: list[float] = []
    seconds: dict[int, list[float]] = defaultdict(list)
    start = min((packets[0][0] for packets in found.values()), default=0.0)
    missing = 0
    for packets in found.values():
        for (before, sequence_before), (after, sequence) in zip(packets, packets[1:]):
            gap = (after - before) * 1000
            pooled.append(gap)
            since = after - start
            seconds[int(since)].append(gap)
            if steady is not None and steady[0] <= since < steady[1]:
                window.append(gap)
            skipped = (sequence - sequence_before - 1) % 65536
            missing += skipped if skipped < 32768 else 0  # else reordered or repeated
    if not pooled:
        return {"streams": len(found), "packets": 0}
    pooled.sort()
    window.sort()
    report = {"streams": len(found), "packets": len(pooled) + len(found),
              "gap_mean_ms": round(sum(pooled) / len(pooled), 3),
              "gap_p50_ms": round(percentile(pooled, 0.50), 3),
              "gap_p99_ms": round(percentile(pooled, 0.99), 3),
              "gap_p999_ms": round(percentile(pooled, 0.999), 3),
              "gap_max_ms": round(pooled[-1], 3),
              # a gap over 30 ms is one the far end's jitter buffer has to cover
              "gaps_over_30ms_pct": round(over(pooled) * 100 / len(pooled), 3),
              "sequence_missing": missing}
    if window:
        report |= {"steady_s": list(steady),
                   "steady_gap_p99_ms": round(percentile(window, 0.99), 3),
                   "steady_gap_max_ms": round(window[-1], 3),
                   "steady_gaps_over_30ms_pct": round(over(window) * 100 / len(window), 3)}
    report["timeline"] = [[second, len(values), over(values), round(max(values), 1)]
                          for second, values in sorted(seconds.items())]
    return report


def over(values: list[float], limit_ms: float = 30.0) -> int:
    """Return how many gaps are longer than `limit_ms`."""
    return sum(1 for value in values if value > limit_ms)
