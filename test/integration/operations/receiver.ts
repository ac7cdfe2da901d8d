/**
 * Real HTTP receivers on 127.0.0.1 for the alert and lineage tests: each records every request
 * (path, headers, JSON body) and answers as told: a status per request, or never (a receiver that
 * hangs, which only the sender's timeout ends).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Receiver {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

/** `answer(n)` decides the n-th request's (from 0) status, or "hang" to never answer it. */
export async function startReceiver(answer: (n: number) => number | "hang"): Promise<Receiver> {
  const requests: Received[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = requests.length;
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
      requests.push({ path: req.url ?? "", headers: req.headers, body });
      const status = answer(n);
      if (status === "hang") {
        hanging.add(res);
        return;
      }
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status < 300 ? "ok" : "no");
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("receiver has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        for (const s of sockets) s.destroy();
        hanging.clear();
        server.close((e) => (e === undefined ? resolve() : reject(e)));
      }),
  };
}
