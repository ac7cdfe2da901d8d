import { describe, expect, it } from "vitest";
import { BackgroundDeliveries } from "./background.js";

/** A delivery that ends after `ms`, or when `stop` aborts (with the abort's reason as outcome). */
function delivery(stop: AbortSignal, ms: number, outcomes: string[], name: string): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      outcomes.push(`${name} stopped: ${(stop.reason as Error).message}`);
      resolve();
    };
    const timer = setTimeout(() => {
      stop.removeEventListener("abort", onAbort);
      outcomes.push(`${name} done`);
      resolve();
    }, ms);
    stop.addEventListener("abort", onAbort, { once: true });
  });
}

describe("BackgroundDeliveries", () => {
  it("drains at once when nothing is in flight", async () => {
    const d = new BackgroundDeliveries();
    await d.drain(10);
    expect(d.stop.aborted).toBe(false);
  });

  it("waits for every tracked delivery that ends before the deadline, without stopping any", async () => {
    const d = new BackgroundDeliveries();
    const outcomes: string[] = [];
    d.track(delivery(d.stop, 5, outcomes, "a"));
    d.track(delivery(d.stop, 20, outcomes, "b"));
    await d.drain(5_000);
    expect(outcomes).toEqual(["a done", "b done"]);
    expect(d.stop.aborted).toBe(false);
  });

  it("stops what is still running at the deadline and waits for it to give up", async () => {
    const d = new BackgroundDeliveries();
    const outcomes: string[] = [];
    d.track(delivery(d.stop, 1, outcomes, "quick"));
    d.track(delivery(d.stop, 60_000, outcomes, "hanging"));
    await d.drain(50);
    expect(outcomes).toEqual([
      "quick done",
      "hanging stopped: the process ended before delivery finished (50 ms)",
    ]);
    expect(d.stop.aborted).toBe(true);
  });
});
