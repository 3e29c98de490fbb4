// Plain CDR (XCDR1) for the few ROS 2 types the page reads and writes; the
// 4-byte encapsulation header comes first and alignment counts from after it.
export class CdrReader {
  constructor(buf) {
    this.v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.le = this.v.getUint8(1) === 1;
    this.pos = 4;
  }
  align(n) { const o = (this.pos - 4) % n; if (o) this.pos += n - o; }
  u8() { return this.v.getUint8(this.pos++); }
  u32() { this.align(4); const x = this.v.getUint32(this.pos, this.le); this.pos += 4; return x; }
  i32() { this.align(4); const x = this.v.getInt32(this.pos, this.le); this.pos += 4; return x; }
  f64() { this.align(8); const x = this.v.getFloat64(this.pos, this.le); this.pos += 8; return x; }
  str() {
    const n = this.u32();
    const bytes = new Uint8Array(this.v.buffer, this.v.byteOffset + this.pos, Math.max(0, n - 1));
    this.pos += n;
    return new TextDecoder().decode(bytes);
  }
  seq(fn) { const n = this.u32(); const out = new Array(n); for (let i = 0; i < n; i++) out[i] = fn(this); return out; }
  f64seq() { const n = this.u32(); const out = new Float64Array(n); for (let i = 0; i < n; i++) out[i] = this.f64(); return out; }
  header() { return { sec: this.i32(), nanosec: this.u32(), frame_id: this.str() }; }
}

export function readJointState(buf) {
  const r = new CdrReader(buf);
  const header = r.header();
  const name = r.seq((x) => x.str());
  const position = r.f64seq();
  return { header, name, position };
}

export function readDiagnosticArray(buf) {
  const r = new CdrReader(buf);
  const header = r.header();
  const status = r.seq((x) => ({
    level: x.u8(), name: x.str(), message: x.str(), hardware_id: x.str(),
    values: x.seq((y) => ({ key: y.str(), value: y.str() })),
  }));
  return { header, status };
}

export function readTF(buf) {
  const r = new CdrReader(buf);
  return r.seq((x) => {
    const parent = x.header().frame_id;
    const child = x.str();
    return { parent, child, t: [x.f64(), x.f64(), x.f64()], q: [x.f64(), x.f64(), x.f64(), x.f64()] };
  });
}

export class CdrWriter {
  constructor() { this.buf = new ArrayBuffer(4096); this.v = new DataView(this.buf); this.pos = 0; this.bytes([0, 1, 0, 0]); }
  grow(n) {
    if (this.pos + n <= this.buf.byteLength) return;
    const nb = new ArrayBuffer(Math.max(this.buf.byteLength * 2, this.pos + n));
    new Uint8Array(nb).set(new Uint8Array(this.buf));
    this.buf = nb; this.v = new DataView(nb);
  }
  bytes(a) { this.grow(a.length); new Uint8Array(this.buf).set(a, this.pos); this.pos += a.length; }
  align(n) { const o = (this.pos - 4) % n; if (o) this.bytes(new Array(n - o).fill(0)); }
  u8(x) { this.bytes([x & 255]); }
  u32(x) { this.align(4); this.grow(4); this.v.setUint32(this.pos, x, true); this.pos += 4; }
  i32(x) { this.align(4); this.grow(4); this.v.setInt32(this.pos, x, true); this.pos += 4; }
  f64(x) { this.align(8); this.grow(8); this.v.setFloat64(this.pos, x, true); this.pos += 8; }
  str(s) { const b = new TextEncoder().encode(s); this.u32(b.length + 1); this.bytes([...b, 0]); }
  f64seq(a) { this.u32(a.length); for (const x of a) this.f64(x); }
  done() { return new Uint8Array(this.buf, 0, this.pos); }
}

// trajectory_msgs/JointTrajectory from a motion of /dtwin/scene, to start at stampSec.
export function writeJointTrajectory(motion, stampSec) {
  const w = new CdrWriter();
  const sec = Math.floor(stampSec);
  w.i32(sec); w.u32(Math.round((stampSec - sec) * 1e9) % 1000000000); w.str("");
  w.u32(motion.joint_names.length);
  for (const n of motion.joint_names) w.str(n);
  w.u32(motion.points.length);
  for (const p of motion.points) {
    w.f64seq(p.positions); w.f64seq(p.velocities || []); w.f64seq([]); w.f64seq([]);
    const s = Math.floor(p.t);
    w.i32(s); w.u32(Math.round((p.t - s) * 1e9) % 1000000000);
  }
  return w.done();
}

export function writeString(text) { const w = new CdrWriter(); w.str(text); return w.done(); }

// std_srvs/Trigger: the request is an empty struct (one padding byte, as rosidl writes it).
export function writeTriggerRequest() { return new Uint8Array([0, 1, 0, 0, 0]); }
export function readTriggerResponse(buf) { const r = new CdrReader(buf); return { success: r.u8() !== 0, message: r.str() }; }
