import { describe, expect, it } from "vitest";
import { parseListenPort, parsePort } from "./port.js";

describe("parsePort", () => {
  it.each([
    ["5432", 5432],
    ["1", 1],
    ["65535", 65535],
    ["08080", 8080],
  ])("%j is port %i", (given, port) => {
    expect(parsePort(given)).toEqual({ ok: true, port });
  });

  it.each([
    "0",
    "65536",
    "99999",
    "",
    " 5432",
    "5432 ",
    "5432.0",
    "0x1538",
    "1e3",
    "-1",
    "543a",
    "000065535",
  ])("%j is not a port", (given) => {
    expect(parsePort(given)).toEqual({
      ok: false,
      message: `port "${given}" is not a TCP port (1-65535)`,
    });
  });
});

describe("parseListenPort", () => {
  it.each([
    ["0", 0],
    ["9464", 9464],
  ])("%j listens on %i", (given, port) => {
    expect(parseListenPort(given)).toEqual({ ok: true, port });
  });

  it.each(["", "-1", "65536", "00", "x"])("%j is refused", (given) => {
    expect(parseListenPort(given)).toEqual({
      ok: false,
      message: `port "${given}" is not a TCP port to listen on (0-65535; 0: any free one)`,
    });
  });
});
