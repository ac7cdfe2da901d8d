// The demo's alert webhook: a real HTTP receiver on 127.0.0.1 that answers 200 and keeps each
// request's body as <dir>/<n>.json. It writes its port to <dir>/port once listening, and stops
// on SIGTERM.
import { renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";

const dir = process.argv[2];
if (dir === undefined) throw new Error("usage: demo-receiver.mjs <dir>");
let received = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    received += 1;
    writeFileSync(path.join(dir, `${received}.json`), Buffer.concat(chunks));
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
  });
});
server.listen(0, "127.0.0.1", () => {
  // Written whole, then renamed, so a reader never sees half a port number.
  writeFileSync(path.join(dir, "port.tmp"), String(server.address().port));
  renameSync(path.join(dir, "port.tmp"), path.join(dir, "port"));
});
process.once("SIGTERM", () => server.close());
