// dtwin's Foxglove WebSocket server as Foxglove sees it, with Foxglove's own
// client library (@foxglove/ws-protocol) and its ros2msg/CDR libraries:
//   node foxglove.mjs WS_URL
// advertise (channels with ros2msg schemas, cdr), subscribe, decode a
// JointState / DiagnosticArray / TFMessage with the advertised schemas, call a
// service (Trigger), and a malformed client is closed without disturbing this one;
// "lock left_knee" published through the protocol (clientPublish) makes
// /sync/status report left_knee (what Foxglove's Diagnostics panel shows).
import wsProtocol from "@foxglove/ws-protocol";
const { FoxgloveClient } = wsProtocol;
import { parse } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import { definitions as stringDefs } from "./std_string.mjs";
import WebSocket from "ws";

const url = process.argv[2];
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? "ok" : "FAIL"}: ${what}`); if (!ok) failed++; };
const timeout = setTimeout(() => { console.log("FAIL: timed out"); process.exit(1); }, 150000);

const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) });
const channels = new Map(), services = new Map(), readers = new Map(), got = new Map();
let serverInfo = null;
const waitUntil = async (fn, ms = 20000) => { const t = Date.now(); while (!fn()) { if (Date.now() - t > ms) return false; await new Promise((r) => setTimeout(r, 50)); } return true; };

client.on("serverInfo", (i) => { serverInfo = i; });
client.on("advertise", (chs) => { for (const c of chs) channels.set(c.topic, c); });
client.on("advertiseServices", (svcs) => { for (const s of svcs) services.set(s.name, s); });
client.on("message", ({ subscriptionId, data }) => {
  const r = readers.get(subscriptionId);
  if (!r) return;
  try { if (!got.has(subscriptionId)) got.set(subscriptionId, r.reader.readMessage(data)); }
  catch (e) { got.set(subscriptionId, e); }
});
const responses = new Map();
client.on("serviceCallResponse", (r) => responses.set(r.callId, r));
client.on("serviceCallFailure", (r) => responses.set(r.callId, r));

function sub(topic) {
  const c = channels.get(topic);
  if (!c) { check(false, `channel ${topic} advertised`); return null; }
  check(c.encoding === "cdr", `${topic}: encoding cdr, schema ${c.schemaName} (${c.schemaEncoding || "-"})`);
  const id = client.subscribe(c.id);
  readers.set(id, { reader: new MessageReader(parse(c.schema, { ros2: true })) });
  return id;
}

await waitUntil(() => serverInfo && channels.has("/tf") && services.size > 0);
check(serverInfo && serverInfo.capabilities.includes("services"), `serverInfo ${serverInfo && serverInfo.name}: ${serverInfo && serverInfo.capabilities}`);
const js = sub("/twin/joint_states"), diag = sub("/sync/status"), tf = sub("/tf"), rjs = sub("/robot/joint_states");
await waitUntil(() => [js, diag, tf, rjs].every((id) => got.has(id)));
const j = got.get(js);
check(j && Array.isArray(j.name) && j.name.length > 0 && j.position.length === j.name.length &&
  j.position.every(Number.isFinite) && typeof j.header.stamp.sec === "number",
  `JointState decoded: ${j && j.name && j.name.length} joints, ${j && j.name && j.name[0]} = ${j && j.position && j.position[0]}`);
const d = got.get(diag);
check(d && d.status && d.status.some((s) => s.name === "sync: overall"), `DiagnosticArray decoded: ${d && d.status && d.status.map((s) => s.name).join(", ")}`);
const t = got.get(tf);
check(t && t.transforms && t.transforms.some((x) => x.child_frame_id.startsWith("robot/")) &&
  t.transforms.some((x) => x.child_frame_id.startsWith("twin/")), `TFMessage decoded: ${t && t.transforms && t.transforms.length} transforms`);

// the fault, as Foxglove would publish it, and the sync node's report of it
const status = [];
const diagReader = readers.get(diag);
client.on("message", ({ subscriptionId, data }) => {
  if (subscriptionId === diag) status.push(diagReader.reader.readMessage(data));
});
const names = (d) => d.status.filter((x) => x.level >= 1 && /left_knee/.test(`${x.message} ${x.values.map((v) => v.value).join(" ")}`));
const synced = (d) => d.status.some((x) => x.name === "sync: overall" && x.message === "SYNCED");
check(await waitUntil(() => status.length > 0 && synced(status[status.length - 1]), 30000), "/sync/status says SYNCED before the fault");
const faultCh = client.advertise({ topic: "/robot/fault", encoding: "cdr", schemaName: "std_msgs/msg/String" });
client.sendMessage(faultCh, new MessageWriter(stringDefs).writeMessage({ data: "lock left_knee" }));
status.length = 0;
const seen = await waitUntil(() => status.some((x) => names(x).length > 0), 60000);
const rep = seen ? names(status.find((x) => names(x).length > 0))[0] : null;
check(seen, `after "lock left_knee" on /robot/fault, /sync/status reports it: ${rep ? `${rep.name}: ${rep.message}` : "no"}`);
client.sendMessage(faultCh, new MessageWriter(stringDefs).writeMessage({ data: "clear" }));

// services: pause and resume the twin through the protocol
async function call(name) {
  const s = services.get(name);
  if (!s) { check(false, `service ${name} advertised`); return null; }
  const reqDefs = s.requestSchema ? parse(s.requestSchema, { ros2: true }) : [{ definitions: [] }];
  const data = new MessageWriter(reqDefs).writeMessage({});
  const callId = Math.floor(Math.random() * 1e9);
  client.sendServiceCallRequest({ serviceId: s.id, callId, encoding: "cdr", data });
  await waitUntil(() => responses.has(callId), 10000);
  const r = responses.get(callId);
  if (!r || !r.data) return r || null;
  return new MessageReader(parse(s.responseSchema, { ros2: true })).readMessage(r.data);
}
const p = await call("/twin/pause");
check(p && p.success === true && /paused/.test(p.message), `call /twin/pause: ${JSON.stringify(p)}`);
const q = await call("/twin/resume");
check(q && q.success === true && /running/.test(q.message), `call /twin/resume: ${JSON.stringify(q)}`);

// a malformed client is closed; this one keeps its data
const bad = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
let badClosed = false;
bad.on("open", () => bad.send("{not json"));
bad.on("close", () => { badClosed = true; });
await waitUntil(() => badClosed, 10000);
check(badClosed, "a client sending malformed JSON is closed");
got.delete(js);
await waitUntil(() => got.has(js), 5000);
check(got.has(js), "the other client still receives joint states");

clearTimeout(timeout);
client.close();
console.log(failed ? `${failed} checks failed` : "all checks passed");
process.exit(failed ? 1 : 0);
