// What Foxglove's 3D panel needs from dtwin, read with Foxglove's client
// library (@foxglove/ws-protocol) and a URDF parser in the browser:
//   node foxglove_3d.mjs WS_URL HTTP_URL OUTDIR
// - robot descriptions: /robot_description (the topic Foxglove's 3D panel
//   loads unasked) and <ns>/robot_description per robot and twin, std_msgs/String
//   decoded with the advertised schema, each a URDF;
// - every link of each URDF has a /tf frame of the same name, and /tf is a tree
//   under "world" as the URDF's joints are (Foxglove adds both to one tree);
// - every mesh the URDFs name is fetched through the protocol (fetchAsset, as
//   Foxglove fetches package:// URIs) and is a binary STL; an unknown URI fails;
// - urdf-loader (three.js) in headless Chromium parses each URDF and, posed
//   with a JointState, puts every link where /tf of the same sample puts it.
// Exit 0 pass, 1 fail, 77 no browser.
import fs from "node:fs";
import path from "node:path";
import wsProtocol from "@foxglove/ws-protocol";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import puppeteer from "puppeteer-core";
import WebSocket from "ws";

const { FoxgloveClient, FetchAssetStatus } = wsProtocol;
const [url, httpUrl, outDir = "/tmp"] = process.argv.slice(2);
const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(chromium)) { console.log(`SKIP: no ${chromium}`); process.exit(77); }
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? "ok" : "FAIL"}: ${what}`); if (!ok) failed++; return ok; };
const timeout = setTimeout(() => { console.log("FAIL: timed out"); process.exit(1); }, 120000);
const waitUntil = async (fn, ms = 20000) => { const t = Date.now(); while (!fn()) { if (Date.now() - t > ms) return false; await new Promise((r) => setTimeout(r, 50)); } return true; };

const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) });
let serverInfo = null;
const channels = new Map(), handlers = new Map(), assets = new Map();
client.on("serverInfo", (i) => { serverInfo = i; });
client.on("advertise", (chs) => { for (const c of chs) channels.set(c.topic, c); });
client.on("message", ({ subscriptionId, data }) => handlers.get(subscriptionId)?.(data));
client.on("fetchAssetResponse", (r) => assets.set(r.requestId, r));

function sub(topic, fn) {
  const c = channels.get(topic);
  if (!check(c !== undefined, `channel ${topic} advertised`)) return;
  const reader = new MessageReader(parse(c.schema, { ros2: true }));
  handlers.set(client.subscribe(c.id), (data) => fn(reader.readMessage(data)));
}

await waitUntil(() => serverInfo && channels.has("/tf"));
check(serverInfo && serverInfo.capabilities.includes("assets"), `serverInfo capabilities: ${serverInfo && serverInfo.capabilities}`);
const descTopics = ["/robot_description", "/robot/robot_description", "/twin/robot_description"];
const urdf = new Map();
for (const t of descTopics) {
  const c = channels.get(t);
  check(c && c.encoding === "cdr" && c.schemaName === "std_msgs/msg/String", `${t}: ${c && c.encoding} ${c && c.schemaName}`);
  sub(t, (m) => urdf.set(t, m.data));
}
check(channels.has("/dtwin/robot_mjcf"), "the MJCF stays available on /dtwin/robot_mjcf");
// /tf frames and samples by stamp, joint states by stamp
const tfFrames = new Map(), tfByStamp = new Map(), jsByStamp = new Map();
const key = (s) => `${s.sec}.${s.nanosec}`;
sub("/tf", (m) => {
  for (const tr of m.transforms) {
    const f = { parent: tr.header.frame_id, t: [tr.transform.translation.x, tr.transform.translation.y, tr.transform.translation.z],
      q: [tr.transform.rotation.x, tr.transform.rotation.y, tr.transform.rotation.z, tr.transform.rotation.w] };
    tfFrames.set(tr.child_frame_id, f);
    if (!tr.child_frame_id.startsWith("robot/")) continue;
    const k = key(tr.header.stamp);
    if (!tfByStamp.has(k)) tfByStamp.set(k, {});
    tfByStamp.get(k)[tr.child_frame_id] = f;
  }
});
sub("/robot/joint_states", (m) => jsByStamp.set(key(m.header.stamp), m));
await waitUntil(() => descTopics.every((t) => urdf.has(t)) && [...tfByStamp.keys()].some((k) => jsByStamp.has(k)), 20000);

check(urdf.get("/robot_description") === urdf.get("/robot/robot_description"), "/robot_description is the robot's URDF");
for (const t of descTopics.slice(1)) {
  const text = urdf.get(t) || "";
  const prefix = t.split("/")[1] + "/";
  const links = [...text.matchAll(/<link name="([^"]+)"/g)].map((m) => m[1]);
  const joints = [...text.matchAll(/<parent link="([^"]+)"\/><child link="([^"]+)"\/>/g)];
  const noTf = links.filter((l) => !tfFrames.has(l));
  check(links.length > 0 && noTf.length === 0, `${t}: ${links.length} links, each a /tf frame of the same name${noTf.length ? `; missing: ${noTf.join(", ")}` : ""}`);
  check(links.every((l) => l.startsWith(prefix)), `${t}: links named ${prefix}<link> as /tf names them`);
  const wrongParent = joints.filter((m) => tfFrames.get(m[2])?.parent !== m[1]).map((m) => m[2]);
  check(joints.length === links.length - 1 && wrongParent.length === 0,
    `${t}: ${joints.length} joints; /tf gives each child link under the URDF's parent link${wrongParent.length ? `; not: ${wrongParent.join(", ")}` : ""}`);
}

// meshes through fetchAsset, as Foxglove resolves package:// URIs
const uris = [...new Set([...(urdf.get("/robot/robot_description") || "").matchAll(/filename="([^"]+)"/g)].map((m) => m[1]))];
const meshes = {};
let reqId = 1, badStl = [];
for (const uri of [...uris, "package://dtwin_viewer/../../etc/passwd"]) {
  const id = reqId++;
  client.fetchAsset(uri, id);
  await waitUntil(() => assets.has(id), 10000);
  const r = assets.get(id);
  if (uri.includes("passwd")) { check(r && r.status === FetchAssetStatus.ERROR, `fetchAsset of a URI the URDF does not name fails: ${r && r.error}`); continue; }
  if (!r || r.status !== FetchAssetStatus.SUCCESS) { badStl.push(`${uri}: ${r ? r.error : "no answer"}`); continue; }
  const bytes = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const n = r.data.byteLength >= 84 ? r.data.getUint32(80, true) : -1;
  if (n <= 0 || r.data.byteLength !== 84 + 50 * n) badStl.push(`${uri}: ${r.data.byteLength} bytes, ${n} triangles`);
  meshes[uri] = Buffer.from(bytes).toString("base64");
}
check(badStl.length === 0, `${uris.length} mesh URIs fetched through fetchAsset, each a binary STL${badStl.length ? `: ${badStl.join("; ")}` : ""}`);

// the same sample: a JointState and the /tf transforms with its stamp
const k = [...tfByStamp.keys()].reverse().find((s) => jsByStamp.has(s));
const js = jsByStamp.get(k);
const joints = {};
if (js) js.name.forEach((n, i) => { joints[n] = js.position[i]; });
const tf = { ...(k ? tfByStamp.get(k) : {}) };
fs.mkdirSync(outDir, { recursive: true });
const profile = fs.mkdtempSync(path.join(outDir, "profile-"));
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, userDataDir: profile,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(new URL("test/urdf.html", httpUrl).toString(), { waitUntil: "load" });
  await page.waitForFunction("window.ready === true", { timeout: 20000 });
  const r = await page.evaluate((t, m, j, f) => window.checkUrdf(t, m, j, f), urdf.get("/robot/robot_description"), meshes, joints, tf);
  check(r.links.length > 0 && r.meshErrors.length === 0 && r.meshesLoaded >= uris.length,
    `urdf-loader parsed robot '${r.name}': ${r.links.length} links, ${r.joints.length} joints, ${r.meshesLoaded} meshes (${r.triangles} triangles)${r.meshErrors.length ? `: ${r.meshErrors.join("; ")}` : ""}`);
  check(r.missing.length === 0 && r.worst < 1e-3,
    `posed with /robot/joint_states (${js ? js.name.length : 0} joints), every link where /tf puts it: worst ${r.worst.toExponential(2)} (m or rad) at ${r.worstLink}${r.missing.length ? `; no /tf for ${r.missing.join(", ")}` : ""}`);
  check(errors.length === 0, `no page errors${errors.length ? `: ${errors.join(" | ")}` : ""}`);
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
clearTimeout(timeout);
client.close();
console.log(failed ? `${failed} checks failed` : "all checks passed");
process.exit(failed ? 1 : 0);
