#!/usr/bin/env python3
"""The bridge attacks of issue 15 (items 2-5, 9) against `dtwin up`, on loopback,
for a bounded time, printed side by side with a quiet run of the same process:
/healthz success rate, /twin/joint_states rate and real-time factor (ratio to
quiet), RSS growth after the attackers leave. Goals: 100 %, >= 0.99, <= 5 MiB.
Item 5 (descriptor exhaustion) needs a process at its descriptor limit, which
would also starve /healthz; it runs last against a `dtwin bridge` started with a
low limit and reports that process's CPU while at the limit.

usage: bench_bridge_abuse.py DTWIN   (standard library only; < 2 minutes)"""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

DTWIN = sys.argv[1]
QUIET_S, ATTACK_S, SETTLE_S = 12.0, 20.0, 6.0
stop = threading.Event()


def frame(dest, payload=b""):
    d = dest.encode()
    return struct.pack("<I", len(d)) + d + struct.pack("<I", len(payload)) + payload


def cmd(dest, obj):
    return frame(dest, json.dumps(obj).encode())


def connect(port, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def join(port, src, timeout=15):
    """Connect until the handshake comes, as the ROS-TCP-Connector retries."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            s = connect(port, src)
            if read_frames(s, {"__handshake"}, 2):
                return s
            s.close()
        except OSError:
            pass
        time.sleep(0.5)
    raise OSError("no slot within %.0f s" % timeout)


def read_frames(s, want, timeout):
    """Frames until one whose destination is in want: (dest, payload) or None."""
    buf, end = b"", time.monotonic() + timeout
    s.settimeout(0.2)
    while time.monotonic() < end:
        while len(buf) >= 4:
            (dl,) = struct.unpack_from("<I", buf, 0)
            if len(buf) < 8 + dl:
                break
            (pl,) = struct.unpack_from("<I", buf, 4 + dl)
            if len(buf) < 8 + dl + pl:
                break
            dest = buf[4:4 + dl].rstrip(b"\0").decode(errors="replace")
            payload = buf[8 + dl:8 + dl + pl]
            buf = buf[8 + dl + pl:]
            if dest in want:
                return dest, payload
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return None
        if not d:
            return None
        buf += d
    return None


def metrics(url):
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None, None
    js = rtf = None
    for line in text.splitlines():
        if line.startswith("dtwin_messages_published_total{") and 'topic="/twin/joint_states"' in line:
            js = float(line.rsplit(" ", 1)[1])
        if line.startswith("dtwin_real_time_factor{") and 'node="/twin/digital_twin"' in line:
            rtf = float(line.rsplit(" ", 1)[1])
    return js, rtf


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def phase(url, seconds, probes):
    """healthz probes every 100 ms; joint_states rate and mean RTF over the phase."""
    ok = n = 0
    js0, _ = metrics(url)
    t0 = time.monotonic()
    rtfs, next_m = [], t0 + 1.0
    while time.monotonic() - t0 < seconds:
        n += 1
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                ok += r.status == 200
        except OSError:
            pass
        if time.monotonic() >= next_m:
            _, rtf = metrics(url)
            if rtf is not None:
                rtfs.append(rtf)
            next_m += 1.0
        time.sleep(0.1)
    js1, _ = metrics(url)
    dt = time.monotonic() - t0
    probes.append((ok, n))
    rate = (js1 - js0) / dt if js0 is not None and js1 is not None else 0.0
    return 100.0 * ok / max(n, 1), rate, sum(rtfs) / max(len(rtfs), 1)


# ---- attackers ------------------------------------------------------------------------------
notes = {}


def keep_alive(socks):
    while not stop.wait(0.5):
        for s in socks:
            try:
                s.sendall(frame(""))
            except OSError:
                pass


def attack_subscribe(port):  # item 2
    s = connect(port, "127.0.1.1")
    data = b"".join(cmd("__subscribe", {"topic": f"/abuse/t{i}", "message_name": "std_msgs/String"})
                    for i in range(5000))
    s.sendall(data)
    notes["subscribe_error"] = read_frames(s, {"__error"}, 5) is not None
    keep_alive([s])
    s.close()


def attack_calls(port):  # item 3
    s = connect(port, "127.0.1.2")
    s.sendall(cmd("__ros_service", {"topic": "/nobody", "message_name": "std_srvs/Trigger"}))
    big = b"\0\1\0\0" + bytes(1024 * 1024 - 4)
    try:
        for i in range(256):
            s.sendall(cmd("__request", {"srv_id": i}) + frame("/nobody", big))
    except OSError:
        pass
    keep_alive([s])
    s.close()


def victim_reset(port):  # item 3: another client's /twin/reset
    time.sleep(3)
    s = join(port, "127.0.1.3")
    s.sendall(cmd("__ros_service", {"topic": "/twin/reset", "message_name": "std_srvs/Trigger"}))
    t = time.monotonic()
    s.sendall(cmd("__request", {"srv_id": 1}) + frame("/twin/reset", b"\0\1\0\0\0"))
    r = read_frames(s, {"__response", "__error"}, 10)
    notes["reset"] = ("answered in %.0f ms" % ((time.monotonic() - t) * 1e3)
                      if r and r[0] == "__response" else "NOT answered (%s)" % (r[1][:80] if r else "timeout"))
    s.close()


def attack_slots(port):  # item 4: squatters from many addresses, drips, then a newcomer
    squat = []
    for i in range(16):
        try:
            squat.append(connect(port, f"127.0.2.{i + 1}"))
        except OSError:
            pass
    drips = []
    for i in range(4):
        try:
            drips.append(connect(port, f"127.0.3.{i + 1}"))
        except OSError:
            pass
    t = threading.Thread(target=keep_alive, args=(squat,), daemon=True)
    t.start()
    for k in range(12):  # one byte every 0.5 s of a frame that never ends
        for s in drips:
            try:
                s.send(b"\x05\0\0\0/abcd"[k % 9:k % 9 + 1])
            except OSError:
                pass
        if stop.wait(0.5):
            break
    # a Unity client arriving now must get in and be served
    u = connect(port, "127.0.4.1")
    got = read_frames(u, {"__handshake"}, 5) is not None
    n = 0
    if got:
        u.sendall(cmd("__subscribe", {"topic": "/twin/joint_states", "message_name": "sensor_msgs/JointState"}))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:
            if read_frames(u, {"/twin/joint_states"}, 1):
                n += 1
        notes["newcomer"] = "got in, /twin/joint_states at %.0f/s via the bridge" % (n / 3.0)
    else:
        notes["newcomer"] = "LOCKED OUT"
    stop.wait(ATTACK_S)
    for s in squat + drips + [u]:
        s.close()


def attack_shadow(port):  # item 9
    time.sleep(1)
    s = join(port, "127.0.5.1")
    s.sendall(cmd("__unity_service", {"topic": "/twin/reset", "message_name": "std_srvs/Trigger"}))
    r1 = read_frames(s, {"__error"}, 5)
    s.sendall(cmd("__subscribe", {"topic": "/twin/joint_states", "message_name": "std_msgs/String"}))
    r2 = read_frames(s, {"__error"}, 5)
    notes["shadow"] = "refused" if r1 else "ACCEPTED"
    notes["type"] = "__error" if r2 else "no answer"
    s.close()


def fd_exhaustion():  # item 5, against its own `dtwin bridge` at a low descriptor limit
    with tempfile.TemporaryFile("w+") as log:
        p = subprocess.Popen(["prlimit", "--nofile=40", DTWIN, "bridge", "--port", "0", "--bind",
                              "127.0.0.1", "--set", "dtwin.http_port=0", "--set", "bridge.max_clients=1000",
                              "--set", "bridge.max_clients_per_address=0"],
                             stdout=log, stderr=subprocess.STDOUT)
        port = None
        for _ in range(100):
            log.seek(0)
            m = re.search(r"bridge listening on [0-9.]+:(\d+)", log.read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.1)
        socks = []
        if port:
            for i in range(60):
                try:
                    socks.append(connect(port, f"127.0.6.{i + 1}"))
                except OSError:
                    break
            time.sleep(0.5)
            c0, t0 = cpu_s(p.pid), time.monotonic()
            time.sleep(3)
            used, dt = cpu_s(p.pid) - c0, time.monotonic() - t0
        for s in socks:
            s.close()
        p.terminate()
        p.wait()
        log.seek(0)
        out = log.read()
    if not port:
        return "could not start the bridge"
    return "%.2f CPU-s in %.1f s at the limit (%d connections held); log says: %s" % (
        used, dt, len(socks), "back-off" if "not accepting for" in out else "nothing")


def main():
    work = tempfile.mkdtemp()
    log_path = os.path.join(work, "up.log")
    log = open(log_path, "w")
    up = subprocess.Popen([DTWIN, "up", "--set", "dtwin.http_port=0", "--set", "bridge.port=0",
                           "--set", "bridge.bind_address=127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
    url = port = None
    for _ in range(300):
        text = open(log_path).read()
        m1 = re.search(r"metrics and health at (http://[0-9.]+:\d+)", text)
        m2 = re.search(r"Unity bridge listening on TCP port (\d+)", text)
        if m1 and m2:
            url, port = m1.group(1), int(m2.group(1))
            break
        if up.poll() is not None:
            break
        time.sleep(0.1)
    if not url:
        print("bench_bridge_abuse: dtwin up did not start:\n" + open(log_path).read()[-2000:])
        up.kill()
        return 1
    time.sleep(3)  # warm up
    probes = []
    rss_start = rss_mib(up.pid)
    q = phase(url, QUIET_S, probes)
    rss_before = rss_mib(up.pid)
    threads = [threading.Thread(target=f, args=(port,), daemon=True)
               for f in (attack_subscribe, attack_calls, victim_reset, attack_slots, attack_shadow)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    a = phase(url, ATTACK_S, probes)
    rss_peak = rss_mib(up.pid)
    stop.set()
    for t in threads:
        t.join(10)
    time.sleep(SETTLE_S)  # the attackers have left
    rss_after = rss_mib(up.pid)
    up.terminate()
    up.wait(10)
    fd = fd_exhaustion()
    refused = {}
    for line in open(log_path):
        m = re.search(r"bridge: .*?(refused|closing the connection|dropped)", line)
        if m:
            refused[m.group(1)] = refused.get(m.group(1), 0) + 1
    print("%-34s %12s %12s %8s" % ("", "quiet", "attacked", "ratio"))
    print("%-34s %11.1f%% %11.1f%% %8s   goal 100 %%" % ("/healthz success", q[0], a[0], ""))
    print("%-34s %12.1f %12.1f %8.3f   goal >= 0.99" % ("/twin/joint_states rate (/s)", q[1], a[1],
                                                         a[1] / q[1] if q[1] else 0))
    print("%-34s %12.3f %12.3f %8.3f   goal >= 0.99" % ("real-time factor (mean)", q[2], a[2],
                                                         a[2] / q[2] if q[2] else 0))
    print("RSS: %.1f MiB before the attack (%+.1f MiB over the quiet run), %.1f MiB during, %.1f MiB "
          "%.0f s after the attackers left: growth %+.1f MiB (goal <= 5 MiB)" % (
              rss_before, rss_before - rss_start, rss_peak, rss_after, SETTLE_S, rss_after - rss_before))
    print("attacks: 5000 __subscribe -> %s; 256 x 1 MiB requests to /nobody, another client's "
          "/twin/reset %s; 16 keepalive squatters + 4 drips, a newcomer %s; __unity_service "
          "/twin/reset %s; subscribe with another type -> %s" % (
              "__error" if notes.get("subscribe_error") else "no __error", notes.get("reset", "?"),
              notes.get("newcomer", "?"), notes.get("shadow", "?"), notes.get("type", "?")))
    print("descriptor exhaustion (dtwin bridge, nofile 40): " + fd)
    print("bridge log lines during the attack: " + ", ".join("%s %d" % kv for kv in sorted(refused.items())))
    ok = a[0] >= 100.0 and q[1] > 0 and a[1] / q[1] >= 0.99 and q[2] > 0 and a[2] / q[2] >= 0.99 \
        and rss_after - rss_before <= 5.0
    print("bench_bridge_abuse: %s" % ("all goals met" if ok else "goals NOT met (see above)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
