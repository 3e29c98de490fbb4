#!/usr/bin/env python3
"""A ROS-TCP-Connector stand-in, written from the protocol description
(/work/shared/UNITY_TCP.md, docs/unity.md): talks to `dtwin bridge` while
`dtwin sim` runs. Standard library only.

usage: test_bridge_client.py HOST PORT DTWIN METRICS_URL
Exit 0 if every check passed; prints one line per check."""
import json
import math
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request

HOST, PORT, DTWIN, METRICS = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
JS = "/twin/joint_states"
TRAJ = "/twin/humanoid_joint_trajectory_controller/joint_trajectory"
failures = 0


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures += 1
    return ok


def frame(dest, payload, nul=True):
    """Unity (ROS 2 mode) writes the destination and JSON with a trailing NUL."""
    d = dest.encode() + (b"\0" if nul and dest else b"")
    return struct.pack("<I", len(d)) + d + struct.pack("<I", len(payload)) + payload


def cmd(dest, obj):
    return frame(dest, json.dumps(obj).encode() + b"\0")


class Client:
    def __init__(self, rcvbuf=None):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.connect((HOST, PORT))
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv_frame(self, timeout):
        """(dest, payload) or None on timeout; raises EOFError when closed."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                (dl,) = struct.unpack_from("<I", self.buf, 0)
                if len(self.buf) >= 8 + dl:
                    (pl,) = struct.unpack_from("<I", self.buf, 4 + dl)
                    if len(self.buf) >= 8 + dl + pl:
                        dest = self.buf[4:4 + dl].rstrip(b"\0").decode()
                        payload = self.buf[8 + dl:8 + dl + pl]
                        self.buf = self.buf[8 + dl + pl:]
                        return dest, payload
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise EOFError
            self.buf += chunk

    def wait_for(self, dest, timeout=10.0, skip=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.recv_frame(deadline - time.monotonic())
            if f is None:
                return None
            if f[0] == dest:
                return f
            if skip is not None:
                skip(f)
        return None

    def close(self):
        self.s.close()


# ---- CDR (plain XCDR1, little endian, alignment from the byte after the header) ----
class CdrReader:
    def __init__(self, data):
        assert data[:4] == b"\x00\x01\x00\x00", data[:4]
        self.d, self.o = data[4:], 0

    def align(self, n):
        self.o = (self.o + n - 1) // n * n

    def u32(self):
        self.align(4)
        (v,) = struct.unpack_from("<I", self.d, self.o)
        self.o += 4
        return v

    def i32(self):
        self.align(4)
        (v,) = struct.unpack_from("<i", self.d, self.o)
        self.o += 4
        return v

    def f64(self):
        self.align(8)
        (v,) = struct.unpack_from("<d", self.d, self.o)
        self.o += 8
        return v

    def boolean(self):
        v = self.d[self.o]
        self.o += 1
        return v != 0

    def string(self):
        n = self.u32()
        s = self.d[self.o:self.o + n - 1].decode()
        self.o += n
        return s


class CdrWriter:
    def __init__(self):
        self.d = bytearray()

    def align(self, n):
        while len(self.d) % n:
            self.d.append(0)

    def u32(self, v):
        self.align(4)
        self.d += struct.pack("<I", v)

    def i32(self, v):
        self.align(4)
        self.d += struct.pack("<i", v)

    def f64(self, v):
        self.align(8)
        self.d += struct.pack("<d", v)

    def boolean(self, v):
        self.d.append(1 if v else 0)

    def string(self, s):
        b = s.encode() + b"\0"
        self.u32(len(b))
        self.d += b

    def bytes(self):
        return b"\x00\x01\x00\x00" + bytes(self.d)


def decode_joint_state(payload):
    r = CdrReader(payload)
    r.i32(), r.u32(), r.string()  # header
    names = [r.string() for _ in range(r.u32())]
    arrays = []
    for _ in range(3):
        arrays.append([r.f64() for _ in range(r.u32())])
    return names, arrays[0], arrays[1], arrays[2]


def encode_trajectory(names, positions, seconds):
    w = CdrWriter()
    w.i32(0), w.u32(0), w.string("")  # header
    w.u32(len(names))
    for n in names:
        w.string(n)
    w.u32(1)  # one point
    w.u32(len(positions))
    for p in positions:
        w.f64(p)
    w.u32(0), w.u32(0), w.u32(0)  # velocities, accelerations, effort
    w.i32(seconds), w.u32(0)  # time_from_start
    return w.bytes()


def trigger_response(success, message):
    w = CdrWriter()
    w.boolean(success)
    w.string(message)
    return w.bytes()


def decode_trigger_response(payload):
    r = CdrReader(payload)
    return r.boolean(), r.string()


def latest_state(c, timeout=5.0):
    f = c.wait_for(JS, timeout)
    return decode_joint_state(f[1]) if f else None


def metrics():
    with urllib.request.urlopen(METRICS, timeout=5) as resp:
        return resp.read().decode()


def metric_value(text, name, labels=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and labels in line and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


# ---- 1. handshake ------------------------------------------------------------------------
c = Client()
f = c.recv_frame(5.0)
check(f is not None and f[0] == "__handshake", "first frame is __handshake")
hs = json.loads(f[1].rstrip(b"\0")) if f else {}
check(hs.get("version", "").startswith("v0.7."), "handshake version v0.7.x: %s" % hs.get("version"))
check(json.loads(hs.get("metadata", "{}")).get("protocol") == "ROS2", "handshake protocol ROS2")
c.send(b"\0" * 8)  # keepalive, as Unity sends on connect

# ---- 2. subscribe, decode JointState ---------------------------------------------------------
c.send(cmd("__subscribe", {"topic": JS, "message_name": "sensor_msgs/JointState"}))
st = latest_state(c, 10.0)
check(st is not None, "joint_states frames arrive")
names, pos, vel, eff = st if st else ([], [], [], [])
check(len(names) == 23, "JointState has 23 names (%d)" % len(names))
check(len(pos) == 23 and all(math.isfinite(x) for x in pos + vel + eff), "values are finite")

# ---- 3. unknown type -> __error naming it; the connection keeps working ------------------
c.send(cmd("__subscribe", {"topic": "/x", "message_name": "foo_msgs/Bar"}))
f = c.wait_for("__error", 5.0)
check(f is not None and "foo_msgs/Bar" in f[1].decode(), "__error names the unknown type")
check(latest_state(c, 2.0) is not None, "still subscribed after the error")

# ---- 4. publish a JointTrajectory the twin follows ----------------------------------------
c.send(cmd("__publish", {"topic": TRAJ, "message_name": "trajectory_msgs/JointTrajectory",
                         "queue_size": 10, "latch": False}))
joint = next((i for i, n in enumerate(names) if "elbow" in n), 0)
reached = False
for sign in (1.0, -1.0):
    start = latest_state(c)[1][joint]
    target = list(latest_state(c)[1])
    target[joint] = start + sign * 0.3
    deadline = time.monotonic() + 6.0
    next_send = 0.0
    while time.monotonic() < deadline and not reached:
        if time.monotonic() >= next_send:  # resend: the first may beat DDS matching
            c.send(frame(TRAJ, encode_trajectory(names, target, 1), nul=True))
            next_send = time.monotonic() + 1.5
        s = latest_state(c, 1.0)
        if s and abs(s[1][joint] - target[joint]) < 0.05:
            reached = True
    if reached:
        break
check(reached, "twin follows a JointTrajectory published through the bridge (%s)" % names[joint])

# ---- 5. __ros_service: /twin/reset -----------------------------------------------------------
c.send(cmd("__ros_service", {"topic": "/twin/reset", "message_name": "std_srvs/Trigger"}))
for srv_id, body in ((101, b"\x00\x01\x00\x00"), (102, b"\x00\x01\x00\x00\x00\x00\x00\x00")):
    c.send(cmd("__request", {"srv_id": srv_id}) + frame("/twin/reset", body))
    f = c.wait_for("__response", 10.0)
    ok = f is not None and json.loads(f[1].rstrip(b"\0")).get("srv_id") == srv_id
    g = c.recv_frame(5.0) if ok else None
    ok = ok and g is not None and g[0] == "/twin/reset"
    success, message = decode_trigger_response(g[1]) if ok else (False, "")
    check(ok and success, "/twin/reset via __ros_service srv_id %d: success=%s '%s'" %
          (srv_id, success, message))

# ---- 6. __unity_service: a DDS client calls a service this client implements ------------------
c.send(cmd("__unity_service", {"topic": "/unity/some_trigger", "message_name": "std_srvs/Trigger"}))
time.sleep(0.3)
caller = subprocess.Popen([DTWIN, "service", "call", "/unity/some_trigger", "--timeout", "10",
                           "--set", "dtwin.http_port=0"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
f = c.wait_for("__request", 15.0)
req_id = json.loads(f[1].rstrip(b"\0")).get("srv_id") if f else None
g = c.recv_frame(5.0) if f else None
check(req_id is not None and req_id >= 1001 and g is not None and g[0] == "/unity/some_trigger",
      "__request {srv_id:%s} + request frame for /unity/some_trigger" % req_id)
if req_id is not None:
    c.send(cmd("__response", {"srv_id": req_id}) +
           frame("/unity/some_trigger", trigger_response(True, "hello from unity")))
out, _ = caller.communicate(timeout=20)
check(caller.returncode == 0 and "success: true" in out and "hello from unity" in out,
      "dtwin service call got Unity's response: " + " ".join(out.split())[:160])

# ---- 7. __topic_list ---------------------------------------------------------------------------
c.send(cmd("__topic_list", {}))
f = c.wait_for("__topic_list", 5.0)
tl = json.loads(f[1].rstrip(b"\0")) if f else {}
pairs = dict(zip(tl.get("topics", []), tl.get("types", [])))
check(pairs.get(JS) == "sensor_msgs/JointState" and
      pairs.get(TRAJ) == "trajectory_msgs/JointTrajectory", "__topic_list: %s" % pairs)
# the whole ROS graph, not only what this bridge registered: the sim's controller state
check(pairs.get("/twin/humanoid_joint_trajectory_controller/controller_state")
      == "control_msgs/JointTrajectoryControllerState",
      "__topic_list includes topics nobody asked the bridge for")

# ---- 8. slow and garbage clients do not disturb a well-behaved one ------------------------------
def rate(client, seconds):
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        f = client.recv_frame(end - time.monotonic())
        if f and f[0] == JS:
            n += 1
    return n / seconds


base = rate(c, 2.0)
stop = threading.Event()
slow = Client(rcvbuf=4096)
slow.send(cmd("__subscribe", {"topic": JS, "message_name": "sensor_msgs/JointState"}))
garbage_closed = [0]


def slow_keepalive():  # sends keepalives, never reads
    while not stop.is_set():
        slow.send(b"\0" * 8)
        stop.wait(0.5)


def garbage_loop():
    import random
    rnd = random.Random(7)
    kinds = [lambda: b"\xff\xff\xff\xff" + os.urandom(64),             # length past the limit
             lambda: frame("__subscribe", b"{not json"),                 # bad JSON
             lambda: frame("__no_such_command", b"{}"),                  # unknown command
             lambda: struct.pack("<I", 5) + b"/tw"]                      # truncated, then EOF
    while not stop.is_set():
        g = Client()
        try:
            g.send(rnd.choice(kinds)())
            g.s.shutdown(socket.SHUT_WR)
            while g.recv_frame(2.0) is not None:
                pass
        except (EOFError, OSError):
            garbage_closed[0] += 1
        g.close()
        stop.wait(0.02)


threads = [threading.Thread(target=slow_keepalive), threading.Thread(target=garbage_loop)]
for t in threads:
    t.start()
time.sleep(1.0)
loaded = rate(c, 4.0)
stop.set()
for t in threads:
    t.join()
check(base > 50 and loaded > 0.8 * base,
      "rate with a slow and a garbage client %.0f/s vs %.0f/s alone (> 80%%)" % (loaded, base))
check(garbage_closed[0] > 5, "garbage connections were closed (%d)" % garbage_closed[0])
m = metrics()
check(metric_value(m, "dtwin_bridge_dropped_total") > 0, "slow client's oldest messages dropped")
for reason in ("frame_too_large", "bad_json", "unknown_command"):
    check(metric_value(m, "dtwin_bridge_refused_total", 'reason="%s"' % reason) > 0,
          "refused{reason=%s} counted" % reason)
check(metric_value(m, "dtwin_bridge_clients") >= 2, "clients gauge")
check(metric_value(m, "dtwin_bridge_service_duration_seconds_count") >= 3,
      "service durations observed")
slow.close()

# ---- 9. __remove_subscriber stops the frames ---------------------------------------------------
c.send(cmd("__remove_subscriber", {"topic": JS}))
time.sleep(0.5)
while c.recv_frame(0.2) is not None:
    pass
late = 0
end = time.monotonic() + 1.0
while time.monotonic() < end:
    f = c.recv_frame(end - time.monotonic())
    if f and f[0] == JS:
        late += 1
check(late == 0, "no joint_states after __remove_subscriber (%d)" % late)
c.close()
print("%d failed" % failures)
sys.exit(1 if failures else 0)
