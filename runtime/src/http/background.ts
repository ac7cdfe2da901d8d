/**
 * Deliveries that run in the background of a run (alert webhooks, OpenLineage events): started
 * without being awaited, each one tracked until it settles, and drained when the process ends,
 * at most for a deadline after which the ones still running are stopped.
 */
export class BackgroundDeliveries {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopper = new AbortController();

  /** Aborted when a drain's deadline passes: every delivery's attempts and waits listen to it. */
  get stop(): AbortSignal {
    return this.stopper.signal;
  }

  /** Tracks `delivery` until it settles; it must handle its own failure (it is never awaited). */
  track(delivery: Promise<void>): void {
    const p = delivery.finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /**
   * Waits until every tracked delivery has settled, at most `timeoutMs`; then stops the rest and
   * waits for them to give up (the process is about to end).
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const settled = Promise.allSettled([...this.inFlight]).then(() => "done" as const);
    const first = await Promise.race([settled, timedOut]);
    clearTimeout(timer);
    if (first === "timeout") {
      this.stopper.abort(new Error(`the process ended before delivery finished (${timeoutMs} ms)`));
      await settled;
    }
  }
}
