/**
 * Interleaved repetition for ratios that cannot flatter us: the variants of one comparison run in
 * turn (floor, ours, floor, ours, ...) in one invocation, so a load spike on this shared 2-core
 * machine hits both sides, and each side is summarised by its median with the spread beside it.
 * The machine's load average is taken before and after, so a reader can judge the conditions.
 */
import os from "node:os";

/** Samples of one variant, in seconds (or any unit the measure returns), in run order. */
export interface VariantSamples {
  name: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: how far apart the runs were. */
  spread: number;
}

export interface Interleaved {
  runs: number;
  variants: VariantSamples[];
  /** 1-minute load average before the first and after the last run. */
  loadBefore: number;
  loadAfter: number;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2;
}

/** Summarises one variant's samples. */
export function summarise(name: string, samples: readonly number[]): VariantSamples {
  const m = median(samples);
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  return {
    name,
    samples: [...samples],
    median: m,
    min,
    max,
    spread: m === 0 ? 0 : (max - min) / m,
  };
}

/**
 * Runs every variant `runs` times, interleaved in declaration order, and summarises each. A
 * variant's measure returns the number to compare (usually seconds); it throws when its output
 * fails verification, which fails the whole comparison.
 */
export async function interleave(
  variants: readonly { name: string; measure: (round: number) => Promise<number> }[],
  runs: number,
  log: (line: string) => void = () => {},
): Promise<Interleaved> {
  if (runs < 1) throw new Error(`interleave: runs must be at least 1, got ${runs}`);
  const loadBefore = os.loadavg()[0] ?? 0;
  const samples = variants.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) {
    for (const [i, variant] of variants.entries()) {
      const value = await variant.measure(round);
      samples[i]?.push(value);
      log(`  ${variant.name} run ${round + 1}/${runs}: ${value.toFixed(3)}`);
    }
  }
  return {
    runs,
    variants: variants.map((v, i) => summarise(v.name, samples[i] ?? [])),
    loadBefore,
    loadAfter: os.loadavg()[0] ?? 0,
  };
}

/** The ratio of two variants' medians, with each one's spread: "1.24x (ours 4.1 s ±6%, floor 3.3 s ±4%)". */
export function ratioText(ours: VariantSamples, floor: VariantSamples, unit = "s"): string {
  const pct = (v: VariantSamples) => `±${Math.round((v.spread * 100) / 2)}%`;
  return `${(ours.median / floor.median).toFixed(2)}x (${ours.name} ${ours.median.toFixed(2)} ${unit} ${pct(ours)}, ${floor.name} ${floor.median.toFixed(2)} ${unit} ${pct(floor)})`;
}
