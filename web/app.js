// The dtwin page: a Foxglove WebSocket client (foxglove.websocket.v1) that
// draws robot and twin with three.js, plots with uPlot, and sends the
// controls through the same ROS topics and services as the CLI.
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import uPlot from "uplot";
import { readJointState, readDiagnosticArray, readTF, writeJointTrajectory, writeString,
         writeTriggerRequest, readTriggerResponse } from "./cdr.js";

const params = new URLSearchParams(location.search);
const S = (window.__dtwin = { connected: false, scene: null, tf: 0, frames: 0, fps: 0,
  errorPoints: 0, state: "NO_DATA", faultJoints: [], lastCall: null, pair: Number(params.get("pair") || 0) });
const $ = (id) => document.getElementById(id);

// ---- protocol ------------------------------------------------------------------
const wsUrl = params.get("ws") || `ws://${location.host}/`;
const ws = new WebSocket(wsUrl, ["foxglove.websocket.v1"]);
ws.binaryType = "arraybuffer";
const channels = new Map();      // topic -> channel
const services = new Map();      // name -> service
const subs = new Map();          // subscription id -> handler
const pubChannels = new Map();   // topic -> client channel id
const calls = new Map();         // call id -> resolve
let nextSub = 1, nextCall = 1, nextPub = 1;

function subscribe(topic, handler) {
  const ch = channels.get(topic);
  if (!ch) return;
  const id = nextSub++;
  subs.set(id, handler);
  ws.send(JSON.stringify({ op: "subscribe", subscriptions: [{ id, channelId: ch.id }] }));
}

function publish(topic, schemaName, payload) {
  let id = pubChannels.get(topic);
  if (id === undefined) {
    id = nextPub++;
    pubChannels.set(topic, id);
    ws.send(JSON.stringify({ op: "advertise", channels: [{ id, topic, encoding: "cdr", schemaName }] }));
  }
  const msg = new Uint8Array(5 + payload.length);
  const dv = new DataView(msg.buffer);
  msg[0] = 1; dv.setUint32(1, id, true); msg.set(payload, 5);
  ws.send(msg);
}

function callService(name) {
  const svc = services.get(name);
  if (!svc) return Promise.reject(new Error(`no service ${name}`));
  const id = nextCall++;
  const req = writeTriggerRequest();
  const msg = new Uint8Array(16 + req.length);
  const dv = new DataView(msg.buffer);
  msg[0] = 2; dv.setUint32(1, svc.id, true); dv.setUint32(5, id, true); dv.setUint32(9, 3, true);
  msg.set([99, 100, 114], 13); msg.set(req, 16);
  ws.send(msg);
  return new Promise((resolve, reject) => { calls.set(id, { resolve, reject }); setTimeout(() => reject(new Error("timed out")), 6000); });
}

ws.onopen = () => { S.connected = true; $("conn").textContent = "connected"; };
ws.onclose = () => { S.connected = false; $("conn").textContent = "disconnected"; };
ws.onmessage = (ev) => {
  if (typeof ev.data === "string") {
    const m = JSON.parse(ev.data);
    if (m.op === "advertise") { for (const c of m.channels) channels.set(c.topic, c); onAdvertised(); }
    else if (m.op === "advertiseServices") for (const s of m.services) services.set(s.name, s);
    else if (m.op === "serviceCallFailure") { const c = calls.get(m.callId); if (c) { calls.delete(m.callId); c.reject(new Error(m.message)); } }
    else if (m.op === "status" && m.level >= 1) $("control-result").textContent = m.message;
    return;
  }
  const dv = new DataView(ev.data);
  const op = dv.getUint8(0);
  if (op === 1) {
    const h = subs.get(dv.getUint32(1, true));
    if (h) h(new Uint8Array(ev.data, 13), Number(dv.getBigUint64(5, true)) / 1e9);
  } else if (op === 3) {
    const callId = dv.getUint32(5, true), encLen = dv.getUint32(9, true);
    const c = calls.get(callId);
    if (c) { calls.delete(callId); c.resolve(readTriggerResponse(new Uint8Array(ev.data, 13 + encLen))); }
  }
};

let advertisedOnce = false;
function onAdvertised() {
  if (advertisedOnce || !channels.has("/dtwin/scene")) return;
  advertisedOnce = true;
  subscribe("/dtwin/scene", (buf) => setup(JSON.parse(new TextDecoder().decode(buf))));
}

// ---- 3D ----------------------------------------------------------------------------
// no MSAA: software-rendered WebGL (no GPU) keeps its frame rate; ?aa=1 turns it on
const renderer = new THREE.WebGLRenderer({ antialias: params.get("aa") === "1", preserveDrawingBuffer: true });
renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
$("view").appendChild(renderer.domElement);
const scene3 = new THREE.Scene();
scene3.background = new THREE.Color(0x15181c);
scene3.up = new THREE.Vector3(0, 0, 1);
const camera = new THREE.PerspectiveCamera(45, 1, 0.01, 100);
camera.up.set(0, 0, 1);
camera.position.set(2.6, -2.6, 1.7);
const controls = new OrbitControls(camera, renderer.domElement);
controls.target.set(0, 0, 0.9);
controls.update();
scene3.add(new THREE.HemisphereLight(0xffffff, 0x333344, 2.2));
const sun = new THREE.DirectionalLight(0xffffff, 1.8);
sun.position.set(3, -2, 5);
scene3.add(sun);
const grid = new THREE.GridHelper(6, 24, 0x445566, 0x2a3038);
grid.rotation.x = Math.PI / 2;
scene3.add(grid);

function resize() {
  const el = $("view");
  renderer.setSize(el.clientWidth, el.clientHeight);
  camera.aspect = el.clientWidth / Math.max(1, el.clientHeight);
  camera.updateProjectionMatrix();
}
window.addEventListener("resize", resize);
resize();

function geometryOf(g, meshes) {
  const [a, b, c] = g.size;
  switch (g.type) {
    case "sphere": return new THREE.SphereGeometry(a, 20, 14);
    case "ellipsoid": { const s = new THREE.SphereGeometry(1, 20, 14); s.scale(a, b, c); return s; }
    case "box": return new THREE.BoxGeometry(2 * a, 2 * b, 2 * c);
    case "cylinder": { const s = new THREE.CylinderGeometry(a, a, 2 * b, 20); s.rotateX(Math.PI / 2); return s; }
    case "capsule": { const s = new THREE.CapsuleGeometry(a, 2 * b, 6, 16); s.rotateX(Math.PI / 2); return s; }
    case "mesh": {
      const m = meshes[g.mesh]; if (!m) return null;
      const geo = new THREE.BufferGeometry();
      geo.setAttribute("position", new THREE.Float32BufferAttribute(m.vert, 3));
      geo.setIndex(m.face); geo.computeVertexNormals(); return geo;
    }
    default: return null;
  }
}

// One robot instance: a group per body (posed by /tf), meshes per geom.
function buildRobot(model, ghost) {
  const bodies = model.bodies.map((b) => {
    const grp = new THREE.Group();
    grp.visible = false; // until its first pose
    scene3.add(grp);
    const mat = ghost
      ? new THREE.MeshStandardMaterial({ color: 0x9fc6ff, transparent: true, opacity: 0.3, depthWrite: false })
      : new THREE.MeshStandardMaterial({ color: 0x33cc55, roughness: 0.6, metalness: 0.1 });
    // /tf gives each body relative to its parent body: composed in body order
    return { name: b.name, joint: b.joint, parent: b.parent, grp, mat, local: null,
      pos: new THREE.Vector3(), quat: new THREE.Quaternion(), posed: false };
  });
  for (const g of model.geoms) {
    const geo = geometryOf(g, model.meshes);
    const body = bodies[g.body];
    if (!geo || !body) continue;
    const mesh = new THREE.Mesh(geo, body.mat);
    mesh.position.set(...g.pos);
    mesh.quaternion.set(g.quat[1], g.quat[2], g.quat[3], g.quat[0]);
    body.grp.add(mesh);
  }
  const byName = new Map(bodies.map((b) => [b.name, b]));
  return { bodies, byName };
}

// ---- state -----------------------------------------------------------------------
let model = null, robot = null, twin = null, pair = null;
const latest = { robot: null, twin: null, rtfRobot: NaN, rtfTwin: NaN };
const errorColor = new THREE.Color();
function colourFor(err, alarm) {
  const x = Math.min(1, Math.max(0, err / alarm));
  return errorColor.setHSL((1 - x) * 0.33, 0.85, 0.45);
}

function rtfTracker(key) {
  let last = null;
  return (stampS, recvS) => {
    const now = performance.now() / 1000;
    if (last && now - last.wall > 0.5) {
      latest[key] = (stampS - last.stamp) / (now - last.wall);
      last = { stamp: stampS, wall: now };
    } else if (!last) last = { stamp: stampS, wall: now };
  };
}

function setup(sc) {
  if (model) return;
  model = sc; S.scene = sc;
  $("robot-name").textContent = sc.robot;
  if (sc.pairs.length > 1) {
    $("pair-box").hidden = false;
    sc.pairs.forEach((p, k) => $("pair").add(new Option(`${k}: ${p.robot_ns} / ${p.twin_ns}`, k)));
    $("pair").value = S.pair;
    $("pair").onchange = () => { location.search = `?pair=${$("pair").value}`; };
  }
  pair = sc.pairs[Math.min(S.pair, sc.pairs.length - 1)];
  S.pairRobotNs = pair.robot_ns;
  robot = buildRobot(sc.model, false);
  twin = buildRobot(sc.model, true);
  const trackR = rtfTracker("rtfRobot"), trackT = rtfTracker("rtfTwin");
  subscribe(`${pair.robot_ns}/joint_states`, (b) => { latest.robot = readJointState(b); trackR(latest.robot.header.sec + latest.robot.header.nanosec * 1e-9); });
  subscribe(`${pair.twin_ns}/joint_states`, (b) => { latest.twin = readJointState(b); trackT(latest.twin.header.sec + latest.twin.header.nanosec * 1e-9); });
  subscribe(pair.status_topic, onStatus);
  subscribe("/tf", onTF);
  setupControls(sc);
  setupPlots();
}

function onTF(buf) {
  S.tf++;
  const insts = [[`${pair.robot_frame}/`, robot], [`${pair.twin_frame}/`, twin]];
  for (const tr of readTF(buf)) {
    for (const [prefix, inst] of insts) {
      if (!tr.child.startsWith(prefix)) continue;
      const b = inst.byName.get(tr.child.slice(prefix.length));
      if (b) b.local = tr;
    }
  }
  for (const [, inst] of insts) compose(inst);
  S.posed = { robot: robot.bodies.filter((b) => b.posed).length, twin: twin.bodies.filter((b) => b.posed).length };
}

// World poses from the tree (a parent body comes before its children).
function compose(inst) {
  for (const b of inst.bodies) {
    if (!b.local) continue;
    const p = b.parent > 0 ? inst.bodies[b.parent] : null;
    if (p && !p.posed) continue;
    b.pos.set(...b.local.t);
    b.quat.set(...b.local.q);
    if (p) { b.pos.applyQuaternion(p.quat).add(p.pos); b.quat.premultiply(p.quat); }
    b.posed = true;
    b.grp.position.copy(b.pos);
    b.grp.quaternion.copy(b.quat);
    b.grp.visible = true;
  }
}

// ---- sync status -----------------------------------------------------------------------
const series = { t: [], worst: [], groups: {}, state: [], rtfR: [], rtfT: [], lat50: [], lat99: [] };
const STATES = ["NO_DATA", "SYNCED", "DIVERGED", "STALE", "FAULT", "DEGRADED"];
let t0 = null;
function kv(status) { const o = {}; for (const v of status.values) o[v.key] = v.value; return o; }

// The joints to highlight, from one /sync/status message: the one place that
// reads the sync node's judgement (adapt here when it carries a fault report).
// Today: the members a group names above its alarm, else the worst joint while
// DIVERGED.
function faultJoints(diag, state, overall) {
  const faulty = [];
  // isolated faults first (fault0, fault1, ...: "kind joint conf C onset T"), then
  // the joints above their alarm
  for (let i = 0; i < Number(overall.faults || 0); i++) {
    const f = (overall[`fault${i}`] || "").split(" ");
    if (f.length > 1 && !faulty.includes(f[1])) faulty.push(f[1]);
  }
  for (const s of diag.status) {
    const m = /^above alarm: (.*)$/.exec(s.message);
    if (m) for (const part of m[1].split(", ")) if (!faulty.includes(part.split(" ")[0])) faulty.push(part.split(" ")[0]);
  }
  if (state === "DIVERGED" && faulty.length === 0 && overall.worst_joint) faulty.push(overall.worst_joint);
  return faulty;
}

function onStatus(buf) {
  const d = readDiagnosticArray(buf);
  const overall = d.status.find((s) => s.name === "sync: overall");
  if (!overall) return;
  // the overall key/values go on in "sync: feed", "sync: feed 2"...
  const isFeed = (name) => /^sync: feed( \d+)?$/.test(name);
  const o = Object.assign(kv(overall), ...d.status.filter((s) => isFeed(s.name)).map(kv));
  S.state = overall.message;
  $("sync-state").textContent = S.state;
  $("sync-state").className = `badge ${S.state}`;
  const faulty = faultJoints(d, S.state, o);
  S.faultJoints = faulty;
  $("fault-banner").hidden = faulty.length === 0;
  const kindText = o.fault_kind && o.fault_joint ? ` (${o.fault_joint} ${o.fault_kind})` : "";
  $("fault-banner").textContent = faulty.length ? `${S.state}: ${faulty.join(", ")}${kindText}` : "";
  if (o.last_transition) $("transitions").textContent = `last transition: ${o.last_transition}`;
  const now = performance.now() / 1000;
  if (t0 === null) t0 = now;
  series.t.push(now - t0);
  series.worst.push(Number(o.position_error_max_rad) || 0);
  for (const s of d.status) {
    if (!s.name.startsWith("sync: ") || s.name === "sync: overall" || isFeed(s.name)) continue;
    const g = s.name.slice(6);
    (series.groups[g] ||= new Array(series.t.length - 1).fill(null)).push(Number(kv(s).position_error_rms_rad) || 0);
  }
  for (const g in series.groups) if (series.groups[g].length < series.t.length) series.groups[g].push(null);
  series.state.push(STATES.indexOf(S.state));
  series.rtfR.push(isFinite(latest.rtfRobot) ? latest.rtfRobot : null);
  series.rtfT.push(isFinite(latest.rtfTwin) ? latest.rtfTwin : null);
  // the robot's clock is not ours: latency above its minimum (as dtwin up's status line)
  series.lat50.push(isFinite(Number(o.jitter_p99_s)) ? Number(o.jitter_p99_s) * 1e3 : null);
  series.lat99.push(isFinite(Number(o.latency_p99_s)) && isFinite(Number(o.latency_median_s)) ? (Number(o.latency_p99_s) - Number(o.latency_median_s)) * 1e3 : null);
  const keep = 600; // one minute at 10 Hz
  if (series.t.length > keep) for (const k of ["t", "worst", "state", "rtfR", "rtfT", "lat50", "lat99"]) series[k].shift();
  for (const g in series.groups) while (series.groups[g].length > series.t.length) series.groups[g].shift();
  S.errorPoints++;
  updatePlots();
}

// ---- plots --------------------------------------------------------------------------------
let plots = null;
const palette = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6"];
function setupPlots() {
  const w = 430, axes = [{ stroke: "#aaa", grid: { stroke: "#333" } }, { stroke: "#aaa", grid: { stroke: "#333" } }];
  const groups = (model.joint_groups || "").split(";").map((g) => g.split(":")[0]).filter(Boolean);
  series.groupNames = groups;
  for (const g of groups) series.groups[g] = [];
  plots = {
    error: new uPlot({ width: w, height: 170, axes, scales: { x: { time: false } },
      series: [{}, { label: "worst joint (max)", stroke: "#ff5544", width: 2 },
        ...groups.map((g, i) => ({ label: g, stroke: palette[i % palette.length] }))] }, [[]], $("plot-error")),
    state: new uPlot({ width: w, height: 110, axes: [axes[0], { ...axes[1], size: 70, splits: () => [0, 1, 2, 3, 4, 5], values: (u, v) => v.map((x) => STATES[x] || "") }],
      scales: { x: { time: false }, y: { range: [0, 5] } },
      series: [{}, { label: "state", stroke: "#8ab4f8", width: 2, paths: uPlot.paths.stepped({ align: 1 }) }] }, [[]], $("plot-state")),
    rtf: new uPlot({ width: w, height: 150, axes: [axes[0], axes[1], { side: 1, stroke: "#aaa", scale: "ms" }],
      scales: { x: { time: false } },
      series: [{}, { label: "RTF robot", stroke: "#3cb44b" }, { label: "RTF twin", stroke: "#4363d8" },
        { label: "latency over min p99 ms", stroke: "#f58231", scale: "ms" }, { label: "p99-p50 ms", stroke: "#e6194b", scale: "ms" }] }, [[]], $("plot-rtf")),
  };
}
function updatePlots() {
  if (!plots) return;
  plots.error.setData([series.t, series.worst, ...series.groupNames.map((g) => series.groups[g] || [])]);
  plots.state.setData([series.t, series.state]);
  plots.rtf.setData([series.t, series.rtfR, series.rtfT, series.lat50, series.lat99]);
}

// ---- joint table and colours ------------------------------------------------------------------
const rows = new Map();
let lastTable = 0;
function updateJoints() {
  if (!latest.robot || !model) return;
  const twinPos = new Map();
  if (latest.twin) latest.twin.name.forEach((n, i) => twinPos.set(n, latest.twin.position[i]));
  const errs = new Map();
  const tbody = $("joints").tBodies[0];
  // the table changes at 10 Hz: DOM work every frame would cost the 3D view its rate
  const now = performance.now(), table = now - lastTable > 100;
  if (table) lastTable = now;
  latest.robot.name.forEach((n, i) => {
    const r = latest.robot.position[i], t = twinPos.get(n);
    const e = t === undefined ? NaN : Math.abs(r - t);
    errs.set(n, e);
    if (!table) return;
    let row = rows.get(n);
    if (!row) { row = tbody.insertRow(); row.dataset.joint = n; for (let k = 0; k < 4; k++) row.insertCell(); row.cells[0].textContent = n; rows.set(n, row); }
    row.cells[1].textContent = r.toFixed(3);
    row.cells[2].textContent = t === undefined ? "-" : t.toFixed(3);
    row.cells[3].textContent = isNaN(e) ? "-" : e.toFixed(4);
    row.cells[3].style.color = isNaN(e) ? "" : `#${colourFor(e, model.alarm_rad).getHexString()}`;
    row.classList.toggle("faulty", S.faultJoints.includes(n));
  });
  const blink = (performance.now() % 600) < 300;
  for (const b of robot.bodies) {
    const faulty = S.faultJoints.includes(b.joint);
    const e = errs.get(b.joint);
    b.mat.color.copy(faulty ? errorColor.set(0xff1a1a) : colourFor(isFinite(e) ? e : 0, model.alarm_rad));
    b.mat.emissive.set(faulty && blink ? 0x660000 : 0x000000);
  }
}

// ---- controls -------------------------------------------------------------------------------
function setupControls(sc) {
  if (sc.read_only) return;
  $("controls").hidden = false;
  for (const m of sc.motions) $("motion").add(new Option(m.name, m.name));
  $("send-motion").onclick = () => {
    const m = sc.motions.find((x) => x.name === $("motion").value);
    if (!m) return;
    // start a little ahead on the twin's clock, so robot and twin begin together
    const st = latest.twin ? latest.twin.header.sec + latest.twin.header.nanosec * 1e-9 + 0.3 : 0;
    const payload = writeJointTrajectory(m, st);
    publish(pair.trajectory_robot, "trajectory_msgs/msg/JointTrajectory", payload);
    if (pair.trajectory_twin) publish(pair.trajectory_twin, "trajectory_msgs/msg/JointTrajectory", payload);
    $("control-result").textContent = `sent motion ${m.name}`;
  };
  if (pair.emulator && pair.fault_topic) {
    $("fault-row").hidden = false;
    for (const b of sc.model.bodies) if (b.joint) $("fault-joint").add(new Option(b.joint, b.joint));
    if ([...$("fault-joint").options].some((o) => o.value === "left_knee")) $("fault-joint").value = "left_knee";
    $("inject").onclick = () => {
      publish(pair.fault_topic, "std_msgs/msg/String", writeString(`${$("fault-kind").value} ${$("fault-joint").value}`));
      $("control-result").textContent = `fault: ${$("fault-kind").value} ${$("fault-joint").value}`;
    };
    $("clear-faults").onclick = () => publish(pair.fault_topic, "std_msgs/msg/String", writeString("clear"));
  }
  const names = { resync: pair.status_topic.replace(/status$/, "resync"), reset: `${pair.twin_ns}/reset`,
    pause: `${pair.twin_ns}/pause`, resume: `${pair.twin_ns}/resume` };
  for (const b of document.querySelectorAll("button[data-svc]")) {
    b.onclick = () => callService(names[b.dataset.svc]).then(
      (r) => { S.lastCall = r; $("control-result").textContent = `${b.dataset.svc}: ${r.success ? "ok" : "failed"} ${r.message}`; },
      (e) => { $("control-result").textContent = `${b.dataset.svc}: ${e.message}`; });
  }
}

// ---- render loop ------------------------------------------------------------------------------------
let fpsCount = 0, fpsT = performance.now();
function frame() {
  requestAnimationFrame(frame);
  if (robot) updateJoints();
  controls.update();
  renderer.render(scene3, camera);
  S.frames++; fpsCount++;
  const now = performance.now();
  if (now - fpsT >= 1000) { S.fps = (fpsCount * 1000) / (now - fpsT); fpsCount = 0; fpsT = now; }
}
requestAnimationFrame(frame);
