/** The bench's own verification helpers: exact decimal sums and /proc parsing. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { groupRss, parseStatPgid, parseVmRssBytes, runMeasured } from "./proc.js";
import {
  assertMatches,
  bigEndianSigned,
  decimalToUnscaled,
  storedDecimal,
  unscaledToDecimal,
} from "./verify.js";

describe("decimal checksums", () => {
  it("parses decimal literals exactly at a scale", () => {
    expect(decimalToUnscaled("12.5", 4)).toBe(125000n);
    expect(decimalToUnscaled("-0.0001", 4)).toBe(-1n);
    expect(decimalToUnscaled("811283614.9322", 4)).toBe(8112836149322n);
    expect(decimalToUnscaled("7", 4)).toBe(70000n);
    // Trailing zeros beyond the scale are harmless (pyarrow widens to decimal128(38, 10)).
    expect(decimalToUnscaled("1.2345000000", 4)).toBe(12345n);
    // 2^63 and beyond: sums of millions of numeric(18,4) values exceed a JS number.
    expect(decimalToUnscaled("922337203685477.5808", 4)).toBe(9223372036854775808n);
  });

  it("refuses what is not an exact decimal at the scale", () => {
    expect(() => decimalToUnscaled("1.23456", 4)).toThrow(/more than 4 significant/);
    expect(() => decimalToUnscaled("1e5", 4)).toThrow(/not a decimal/);
    expect(() => decimalToUnscaled("", 4)).toThrow(/not a decimal/);
  });

  it("formats unscaled integers back", () => {
    expect(unscaledToDecimal(125000n, 4)).toBe("12.5000");
    expect(unscaledToDecimal(-1n, 4)).toBe("-0.0001");
    expect(unscaledToDecimal(0n, 4)).toBe("0.0000");
    expect(unscaledToDecimal(42n, 0)).toBe("42");
  });

  it("decodes stored decimals in every physical form", () => {
    expect(bigEndianSigned(Uint8Array.of(0x00, 0x01, 0x00))).toBe(256n);
    expect(bigEndianSigned(Uint8Array.of(0xff, 0xff))).toBe(-1n);
    expect(bigEndianSigned(Uint8Array.of(0x80, 0x00))).toBe(-32768n);
    expect(storedDecimal(5n)).toBe(5n);
    expect(storedDecimal(-7)).toBe(-7n);
    expect(storedDecimal(null)).toBeNull();
    expect(() => storedDecimal(1.5)).toThrow(/unexpected stored decimal/);
  });

  it("compares against the source's truth", () => {
    const truth = { rows: 3, sum: "10.5000" };
    expect(assertMatches("x", truth, { rows: 3, sum: "10.5" }, 4)).toMatch(/matches PostgreSQL/);
    expect(() => assertMatches("x", truth, { rows: 2, sum: "10.5" }, 4)).toThrow(
      "x: verification failed: 2 rows, sum 10.5; PostgreSQL has 3 rows, sum 10.5000",
    );
    expect(() => assertMatches("x", truth, { rows: 3, sum: "10.5001" }, 4)).toThrow(
      /verification failed/,
    );
  });
});

describe("/proc parsing", () => {
  it("reads the process group from stat, even with spaces and parens in comm", () => {
    expect(parseStatPgid("1234 (node) S 1 1234 1234 0 -1 4194560")).toBe(1234);
    expect(parseStatPgid("77 (a b) c)) R 5 66 66 0")).toBe(66);
    expect(parseStatPgid("garbage")).toBeNull();
  });

  it("reads VmRSS from status", () => {
    const status = "Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   52428 kB\nThreads:\t7\n";
    expect(parseVmRssBytes(status)).toBe(52428 * 1024);
    expect(parseVmRssBytes("Name:\tkthreadd\n")).toBeNull();
  });

  it("agrees with this process's own /proc entry", () => {
    const pgid = parseStatPgid(readFileSync("/proc/self/stat", "utf8"));
    expect(pgid).not.toBeNull();
    const g = groupRss(pgid ?? -1);
    expect(g.processes).toBeGreaterThanOrEqual(1);
    expect(g.bytes).toBeGreaterThanOrEqual(process.memoryUsage.rss() / 2);
  });

  it("counts grandchildren in the process tree's peak", async () => {
    // bash starts a python child that holds ~64 MiB; bash alone is a few MiB.
    const python = execFileSync("bash", ["-c", "command -v python3"], { encoding: "utf8" }).trim();
    const m = await runMeasured("bash", [
      "-c",
      `${python} -c "import time; b = bytearray(64 * 1024 * 1024); time.sleep(0.6)"; true`,
    ]);
    expect(m.peakProcesses).toBeGreaterThanOrEqual(2);
    expect(m.peakRssBytes).toBeGreaterThan(64 * 1024 * 1024);
  });

  it("counts the CPU of a grandchild, and not the time it slept", async () => {
    // bash starts node, which burns a fixed amount of CPU and then sleeps a second.
    const m = await runMeasured("bash", [
      "-c",
      `${process.execPath} -e "let x = 0; for (let i = 0; i < 3e8; i++) x += i; setTimeout(() => {}, 1000)"; true`,
    ]);
    expect(m.cpuSeconds).not.toBeNull();
    expect(m.cpuSeconds ?? 0).toBeGreaterThan(0);
    expect(m.cpuSeconds ?? 0).toBeLessThan(m.seconds - 0.5);
  });

  it("fails loudly with the command's stderr", async () => {
    await expect(runMeasured("bash", ["-c", "echo boom >&2; exit 3"])).rejects.toThrow(
      /exited with 3:\nboom/,
    );
  });
});
