/**
 * Running a command while measuring it: wall time and the peak resident set size of its whole
 * process tree. The child starts in its own process group (detached), and /proc is polled for every
 * process of that group, so grandchildren (tsx's node, psql under bash, Python's workers) count.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Process group id from the text of /proc/<pid>/stat (the comm field may hold spaces and parens). */
export function parseStatPgid(stat: string): number | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  // After "(comm)": state, ppid, pgrp, ...
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const pgrp = Number(fields[2]);
  return Number.isInteger(pgrp) ? pgrp : null;
}

/** VmRSS in bytes from the text of /proc/<pid>/status; null when absent (kernel threads, zombies). */
export function parseVmRssBytes(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m?.[1] === undefined ? null : Number(m[1]) * 1024;
}

function readProc(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    // A process may exit between listing /proc and reading its files: that is not an error here.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return null;
    throw new Error(`reading ${file} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Summed RSS (bytes) and process count of every live process in process group `pgid`. */
export function groupRss(pgid: number): { bytes: number; processes: number } {
  let bytes = 0;
  let processes = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(`/proc/${name}/stat`);
    if (stat === null || parseStatPgid(stat) !== pgid) continue;
    const status = readProc(`/proc/${name}/status`);
    const rss = status === null ? null : parseVmRssBytes(status);
    if (rss === null) continue;
    bytes += rss;
    processes += 1;
  }
  return { bytes, processes };
}

export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
  /** Peak of the summed RSS of the process group, sampled every `pollMs`. */
  peakRssBytes: number;
  /** Most processes seen alive in the group at one sample. */
  peakProcesses: number;
  /**
   * CPU seconds (user + system) of the command and every descendant it waited for, from this
   * process's cumulative children's times in /proc/self/stat (10 ms ticks); null off Linux. Wall
   * minus this is time the command spent not running: waiting for a core or for I/O.
   */
  cpuSeconds: number | null;
}

/** USER_HZ: /proc reports times in these ticks per second on every Linux architecture. */
const TICKS_PER_SECOND = 100;

/** User + system seconds of this process's waited-for children so far (cutime + cstime). */
export function childrenCpuSeconds(): number | null {
  const stat = readProc("/proc/self/stat");
  if (stat === null) return null;
  const close = stat.lastIndexOf(")");
  // After "(comm)": state is field 3, so cutime (16) and cstime (17) are at offsets 13 and 14.
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  return Number.isFinite(cutime) && Number.isFinite(cstime)
    ? (cutime + cstime) / TICKS_PER_SECOND
    : null;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  pollMs?: number;
}

/** Runs `command args` to completion and measures it; throws (with its stderr) on a non-zero exit. */
export async function runMeasured(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Measured> {
  const started = performance.now();
  const cpuBefore = childrenCpuSeconds();
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  let peakRssBytes = 0;
  let peakProcesses = 0;
  const sample = () => {
    const g = groupRss(pid);
    peakRssBytes = Math.max(peakRssBytes, g.bytes);
    peakProcesses = Math.max(peakProcesses, g.processes);
  };
  sample();
  const timer = setInterval(sample, options.pollMs ?? 50);
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", (e) => reject(new Error(`${command} failed to run: ${e.message}`)));
    child.on("close", (c, signal) => resolve(c ?? (signal === null ? 1 : 128)));
  });
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = childrenCpuSeconds();
  const cpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${code}:\n${stderr.slice(-4000)}${stdout.slice(-2000)}`,
    );
  }
  return { code, stdout, stderr, seconds, peakRssBytes, peakProcesses, cpuSeconds };
}
