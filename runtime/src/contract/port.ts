/**
 * TCP ports of the source PostgreSQL and of Trino: decimal digits only, 1-65535. The generator
 * checks literal ports and the defaults of `${VAR:default}` references; the runtime checks the
 * resolved value, so a port written in the YAML and one read from the environment obey one rule.
 */

export type PortParse = { ok: true; port: number } | { ok: false; message: string };

/** Parses a port written as text. */
export function parsePort(text: string): PortParse {
  // Digits only: Number() would also take " 5432", "5432.0", "0x1538" and "1e3".
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : 0;
  return port >= 1 && port <= 65535
    ? { ok: true, port }
    : { ok: false, message: `port "${text}" is not a TCP port (1-65535)` };
}

/** Parses a port to listen on: a TCP port, or 0 for one the system picks. */
export function parseListenPort(text: string): PortParse {
  if (text === "0") return { ok: true, port: 0 };
  const parsed = parsePort(text);
  return parsed.ok
    ? parsed
    : {
        ok: false,
        message: `port "${text}" is not a TCP port to listen on (0-65535; 0: any free one)`,
      };
}
