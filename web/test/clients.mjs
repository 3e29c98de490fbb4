// N Foxglove protocol clients subscribed to every channel for S seconds:
//   node clients.mjs WS_URL N SECONDS  -> prints messages and bytes received
import WebSocket from "ws";
const [url, nArg = "10", secArg = "10"] = process.argv.slice(2);
let msgs = 0, bytes = 0, open = 0;
for (let i = 0; i < Number(nArg); i++) {
  const ws = new WebSocket(url, ["foxglove.websocket.v1"]);
  ws.on("open", () => open++);
  ws.on("message", (d, bin) => {
    if (bin) { msgs++; bytes += d.length; return; }
    const m = JSON.parse(d.toString());
    if (m.op === "advertise")
      ws.send(JSON.stringify({ op: "subscribe", subscriptions: m.channels.map((c) => ({ id: c.id, channelId: c.id })) }));
  });
}
setTimeout(() => { console.log(`clients ${open}/${nArg}: ${msgs} messages, ${(bytes / 1e6).toFixed(1)} MB in ${secArg} s`); process.exit(0); }, Number(secArg) * 1000);
