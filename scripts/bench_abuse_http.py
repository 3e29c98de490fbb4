#!/usr/bin/env python3
"""The HTTP attacks of issue 15 (item 1) against `dtwin up`'s metrics/health port, on
loopback, for a bounded time, printed side by side with a quiet run of the same
process: /healthz success rate of a probe that opens a fresh connection every
100 ms with a 1 s timeout (as a kubelet does), /twin/joint_states rate and
real-time factor (ratio to quiet), RSS growth after the attackers leave.
Goals: 100 %, >= 0.99, >= 0.99, <= 5 MiB.

Attackers: idle connections that never send a byte, from 30 addresses and from
the probe's own address; slowloris connections sending one header byte a
second; each reconnects as soon as it is closed, for the whole attack.

usage: bench_abuse_http.py DTWIN   (standard library only; about 45 s)"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

DTWIN = sys.argv[1]
QUIET_S, ATTACK_S, SETTLE_S = 12.0, 20.0, 6.0
stop = threading.Event()
counts = {"idle": 0, "slow": 0, "reconnects": 0}
lock = threading.Lock()


def metrics(url):
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None, None, {}
    js = rtf = None
    dropped = {}
    for line in text.splitlines():
        if line.startswith("dtwin_messages_published_total{") and 'topic="/twin/joint_states"' in line:
            js = float(line.rsplit(" ", 1)[1])
        if line.startswith("dtwin_real_time_factor{") and 'node="/twin/digital_twin"' in line:
            rtf = float(line.rsplit(" ", 1)[1])
        m = re.match(r'dtwin_http_connections_dropped_total\{.*reason="(\w+)".*\} (\S+)', line)
        if m:
            dropped[m.group(1)] = dropped.get(m.group(1), 0) + float(m.group(2))
    return js, rtf, dropped


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def phase(url, seconds):
    """/healthz probes every 100 ms (fresh connection, 1 s timeout); joint_states
    rate and mean RTF over the phase; worst probe latency."""
    ok = n = 0
    worst = 0.0
    fails = {}
    js0, _, _ = metrics(url)
    t0 = time.monotonic()
    rtfs, next_m = [], t0 + 1.0
    while time.monotonic() - t0 < seconds:
        n += 1
        t = time.monotonic()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                ok += r.status == 200
        except OSError as e:
            why = getattr(e, "reason", None) or e
            key = type(why).__name__ if not isinstance(why, str) else why
            fails[key] = fails.get(key, 0) + 1
        worst = max(worst, time.monotonic() - t)
        if time.monotonic() >= next_m:
            _, rtf, _ = metrics(url)
            if rtf is not None:
                rtfs.append(rtf)
            next_m += 1.0
        time.sleep(0.1)
    js1, _, _ = metrics(url)
    dt = time.monotonic() - t0
    rate = (js1 - js0) / dt if js0 is not None and js1 is not None else 0.0
    return 100.0 * ok / max(n, 1), rate, sum(rtfs) / max(len(rtfs), 1), worst, n, fails


def open_conn(port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    return s


def idle(port, src, n):
    """n connections from src that never send; reopened when the server closes them."""
    socks = []
    while not stop.is_set():
        while len(socks) < n and not stop.is_set():
            try:
                socks.append(open_conn(port, src))
                with lock:
                    counts["idle"] += 1
            except OSError:
                stop.wait(0.05)
                break
        alive = []
        for s in socks:
            s.setblocking(False)
            try:
                closed = s.recv(1) == b""
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            if closed:
                s.close()
                with lock:
                    counts["reconnects"] += 1
            else:
                alive.append(s)
        socks = alive
        stop.wait(0.2)
    for s in socks:
        s.close()


def slowloris(port, src, n):
    """n connections sending a request's headers one byte a second."""
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-a: " + b"b" * 4000
    socks = []
    while not stop.is_set():
        while len(socks) < n and not stop.is_set():
            try:
                socks.append([open_conn(port, src), 0])
                with lock:
                    counts["slow"] += 1
            except OSError:
                stop.wait(0.05)
                break
        alive = []
        for entry in socks:
            s, k = entry
            try:
                s.send(req[k % len(req):k % len(req) + 1])
                entry[1] += 1
                alive.append(entry)
            except OSError:
                s.close()
                with lock:
                    counts["reconnects"] += 1
        socks = alive
        stop.wait(1.0)
    for s, _ in socks:
        s.close()


def main():
    work = tempfile.mkdtemp()
    log_path = os.path.join(work, "up.log")
    log = open(log_path, "w")
    up = subprocess.Popen([DTWIN, "up", "--set", "dtwin.http_port=0", "--set", "bridge.port=0",
                           "--set", "bridge.bind_address=127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
    url = None
    for _ in range(300):
        m = re.search(r"metrics and health at (http://[0-9.]+:\d+)", open(log_path).read())
        if m:
            url = m.group(1)
            break
        if up.poll() is not None:
            break
        time.sleep(0.1)
    if not url:
        print("bench_abuse_http: dtwin up did not start:\n" + open(log_path).read()[-2000:])
        up.kill()
        return 1
    port = int(url.rsplit(":", 1)[1])
    time.sleep(3)  # warm up
    rss_start = rss_mib(up.pid)
    q = phase(url, QUIET_S)
    rss_before = rss_mib(up.pid)
    _, _, drop0 = metrics(url)
    threads = [threading.Thread(target=idle, args=(port, f"127.0.7.{i + 1}", 10), daemon=True)
               for i in range(30)]                                   # 300 idle from 30 addresses
    threads.append(threading.Thread(target=idle, args=(port, "127.0.0.1", 40), daemon=True))
    threads += [threading.Thread(target=slowloris, args=(port, f"127.0.8.{i + 1}", 8), daemon=True)
                for i in range(10)]                                  # 80 slowloris
    for t in threads:
        t.start()
    a = phase(url, ATTACK_S)
    rss_peak = rss_mib(up.pid)
    _, _, drop1 = metrics(url)
    stop.set()
    for t in threads:
        t.join(10)
    time.sleep(SETTLE_S)  # the attackers have left
    rss_after = rss_mib(up.pid)
    up.terminate()
    up.wait(10)
    print("%-34s %12s %12s %8s" % ("", "quiet", "attacked", "ratio"))
    print("%-34s %11.1f%% %11.1f%% %8s   goal 100 %%" % ("/healthz success", q[0], a[0], ""))
    print("%-34s %11.0fms %11.0fms %8s" % ("/healthz worst latency", q[3] * 1e3, a[3] * 1e3, ""))
    print("%-34s %12.1f %12.1f %8.3f   goal >= 0.99" % ("/twin/joint_states rate (/s)", q[1], a[1],
                                                         a[1] / q[1] if q[1] else 0))
    print("%-34s %12.3f %12.3f %8.3f   goal >= 0.99" % ("real-time factor (mean)", q[2], a[2],
                                                         a[2] / q[2] if q[2] else 0))
    print("RSS: %.1f MiB before the attack (%+.1f MiB over the quiet run), %.1f MiB during, %.1f MiB "
          "%.0f s after the attackers left: growth %+.1f MiB (goal <= 5 MiB)" % (
              rss_before, rss_before - rss_start, rss_peak, rss_after, SETTLE_S, rss_after - rss_before))
    dropped = {k: drop1.get(k, 0) - drop0.get(k, 0) for k in drop1}
    if a[5]:
        print("failed probes: " + ", ".join("%s %d" % kv for kv in sorted(a[5].items())))
    print("attacks: %d idle connections opened (300 held from 30 addresses + 40 from the probe's "
          "own), %d slowloris (80 held, one byte a second), %d reconnects after the server closed "
          "them; %d probes; the endpoint dropped: %s" % (
              counts["idle"], counts["slow"], counts["reconnects"], a[4],
              ", ".join("%s %d" % (k, v) for k, v in sorted(dropped.items())) or "nothing"))
    ok = a[0] >= 100.0 and q[1] > 0 and a[1] / q[1] >= 0.99 and q[2] > 0 and a[2] / q[2] >= 0.99 \
        and rss_after - rss_before <= 5.0
    print("bench_abuse_http: %s" % ("all goals met" if ok else "goals NOT met (see above)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
