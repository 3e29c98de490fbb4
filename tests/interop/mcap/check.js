// Independent check of dtwin's MCAP files with Foxglove's TypeScript libraries
// (@mcap/core reader/writer, @foxglove/rosmsg + rosmsg2-serialization for CDR).
//   node check.js read FILE.mcap      -> JSON summary on stdout (indexed + streamed reads)
//   node check.js write FILE.mcap N   -> N sensor_msgs/JointState messages on /js
"use strict";
const fs = require("fs");
const { McapIndexedReader, McapStreamReader, McapWriter } = require("@mcap/core");
const { loadDecompressHandlers } = require("@mcap/support");
const { parse } = require("@foxglove/rosmsg");
const { MessageReader, MessageWriter } = require("@foxglove/rosmsg2-serialization");

// The upstream sensor_msgs/JointState definition (comments dropped), written here
// independently of dtwin's generated text.
const JOINT_STATE_DEF = `std_msgs/Header header
string[] name
float64[] position
float64[] velocity
float64[] effort
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
`;

async function read(file) {
  const bytes = fs.readFileSync(file);
  const decompressHandlers = await loadDecompressHandlers();
  const readable = {
    size: async () => BigInt(bytes.length),
    read: async (off, len) => bytes.subarray(Number(off), Number(off + len)),
  };
  const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers });
  const out = {
    profile: reader.header.profile,
    library: reader.header.library,
    schemas: [...reader.schemasById.values()].map((s) => ({ name: s.name, encoding: s.encoding })),
    channels: [...reader.channelsById.values()].map((c) => ({
      topic: c.topic, messageEncoding: c.messageEncoding,
      schema: reader.schemasById.get(c.schemaId)?.name, metadata: Object.fromEntries(c.metadata),
    })),
    statistics: reader.statistics && { messageCount: Number(reader.statistics.messageCount),
      chunkCount: reader.statistics.chunkCount },
    chunkIndexes: reader.chunkIndexes.length,
    metadata: {},
    indexedMessages: 0,
    decoded: {},
  };
  for await (const m of reader.readMetadata()) out.metadata[m.name] = Object.fromEntries(m.metadata);
  const readers = new Map();
  for await (const msg of reader.readMessages()) {
    out.indexedMessages++;
    const ch = reader.channelsById.get(msg.channelId);
    const schema = reader.schemasById.get(ch.schemaId);
    if (!readers.has(ch.id)) readers.set(ch.id, new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true })));
    const value = readers.get(ch.id).readMessage(msg.data); // every message decodes
    if (schema.name === "sensor_msgs/msg/JointState" && !out.decoded[ch.topic])
      out.decoded[ch.topic] = { names: value.name.length, positions: value.position.length,
                                firstName: value.name[0], stampSec: value.header.stamp.sec };
  }
  // a linear read checks every CRC and record on the way
  const stream = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  stream.append(bytes);
  let streamed = 0, rec;
  while ((rec = stream.nextRecord())) if (rec.type === "Message") streamed++;
  out.streamedMessages = streamed;
  out.streamDone = stream.done();
  console.log(JSON.stringify(out, null, 1));
}

async function write(file, n) {
  const chunks = [];
  let pos = 0n;
  const writable = { position: () => pos, write: async (b) => { chunks.push(Buffer.from(b)); pos += BigInt(b.length); } };
  const w = new McapWriter({ writable, chunkSize: 4096 });
  await w.start({ profile: "ros2", library: "mcap-interop check.js" });
  const schemaId = await w.registerSchema({ name: "sensor_msgs/msg/JointState", encoding: "ros2msg",
                                            data: new TextEncoder().encode(JOINT_STATE_DEF) });
  const channelId = await w.registerChannel({ topic: "/js", schemaId, messageEncoding: "cdr",
                                              metadata: new Map([["offered_qos_profiles", ""]]) });
  const mw = new MessageWriter(parse(JOINT_STATE_DEF, { ros2: true }));
  const names = ["left_knee", "right_knee", "not_a_joint_of_the_model"];
  for (let i = 0; i < n; i++) {
    const t = i * 0.01;
    const data = mw.writeMessage({ header: { stamp: { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) }, frame_id: "" },
      name: names, position: [0.1 * Math.sin(t), -0.1 * Math.sin(t), 0], velocity: [], effort: [] });
    const ns = 1000000000n + BigInt(i) * 10000000n;
    await w.addMessage({ channelId, sequence: i, logTime: ns, publishTime: ns, data });
  }
  await w.end();
  fs.writeFileSync(file, Buffer.concat(chunks));
}

const [cmd, file, n] = process.argv.slice(2);
(cmd === "read" ? read(file) : write(file, Number(n || 100))).catch((e) => { console.error(e); process.exit(1); });
