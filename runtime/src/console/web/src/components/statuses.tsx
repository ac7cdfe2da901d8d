/**
 * Partition strips and the partition matrix, drawn on canvas: one code per day (see
 * PARTITION_CODES), each pixel column showing the worst status of the days it covers when there
 * are more days than pixels, so one failed day among 100,000 still shows.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  civilFromDays,
  epochDay,
  formatCalendarDate,
  parseCalendarDate,
} from "../../../../contract/calendar.js";

export const CODE_COLOURS: Record<string, string> = {
  s: "#2f9e5b",
  f: "#e03e3e",
  k: "#f08c2e",
  r: "#3b82f6",
  "-": "#e3e7ed",
};
export const CODE_LABELS: Record<string, string> = {
  s: "succeeded",
  f: "failed",
  k: "skipped",
  r: "running",
  "-": "missing",
};
const RANK: Record<string, number> = { f: 5, r: 4, k: 3, "-": 2, s: 1 };
/** Days since 1970-01-01 of a YYYY-MM-DD date (the runtime's calendar rule). */
export function dayNumber(date: string): number {
  const parsed = parseCalendarDate(date);
  if (!parsed.ok) throw new Error(`not a calendar date: "${date}"`);
  return epochDay(parsed.date);
}

/** The YYYY-MM-DD date of a day number. */
export function dateOfDay(day: number): string {
  return formatCalendarDate(civilFromDays(day));
}

/** Draws one row of statuses into [x, x + width). `only` dims every other status. */
function drawRow(
  ctx: CanvasRenderingContext2D,
  statuses: string,
  x: number,
  y: number,
  width: number,
  height: number,
  only: string | null,
): void {
  const days = statuses.length;
  if (days === 0) return;
  const perPixel = days / width;
  if (perPixel <= 1) {
    const cell = width / days;
    const gap = cell >= 4 ? 1 : 0;
    for (let i = 0; i < days; i += 1) {
      const c = statuses[i] ?? "-";
      ctx.globalAlpha = only !== null && c !== only ? 0.18 : 1;
      ctx.fillStyle = CODE_COLOURS[c] ?? "#ccc";
      ctx.fillRect(x + i * cell, y, Math.max(1, cell - gap), height);
    }
  } else {
    for (let px = 0; px < width; px += 1) {
      const start = Math.floor(px * perPixel);
      const end = Math.min(days, Math.floor((px + 1) * perPixel));
      let worst = "s";
      let hasOnly = false;
      for (let i = start; i < end; i += 1) {
        const c = statuses[i] ?? "-";
        if ((RANK[c] ?? 0) > (RANK[worst] ?? 0)) worst = c;
        if (c === only) hasOnly = true;
      }
      const shown = only !== null && hasOnly ? only : worst;
      ctx.globalAlpha = only !== null && !hasOnly ? 0.18 : 1;
      ctx.fillStyle = CODE_COLOURS[shown] ?? "#ccc";
      // A failed day among hundreds must still be seen: it takes two pixels.
      ctx.fillRect(x + px, y, shown === "f" && px + 1 < width ? 2 : 1, height);
      if (shown === "f") px += 1;
    }
  }
  ctx.globalAlpha = 1;
}

function useWidth<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (el === null) return;
    const observer = new ResizeObserver(() =>
      setWidth(Math.floor(el.getBoundingClientRect().width)),
    );
    observer.observe(el);
    setWidth(Math.floor(el.getBoundingClientRect().width));
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

function setupCanvas(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.floor(width * ratio));
  canvas.height = Math.max(1, Math.floor(height * ratio));
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/** Month (or year) ticks along the top of a day range. */
function drawAxis(
  ctx: CanvasRenderingContext2D,
  from: string,
  days: number,
  width: number,
  height: number,
): void {
  const first = dayNumber(from);
  ctx.fillStyle = "#6b7280";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  const perDay = width / days;
  const yearly = days > 1500;
  const quarterly = !yearly && days > 500;
  let lastLabelX = -100;
  for (let i = 0; i < days; i += 1) {
    const date = dateOfDay(first + i);
    const isMonthStart = date.endsWith("-01");
    if (!isMonthStart) continue;
    const month = Number(date.slice(5, 7));
    if (yearly && month !== 1) continue;
    if (quarterly && (month - 1) % 3 !== 0) continue;
    const x = i * perDay;
    ctx.fillRect(x, height - 5, 1, 5);
    if (x - lastLabelX > 44) {
      ctx.fillText(
        yearly || month === 1 ? date.slice(0, 4) : date.slice(0, 7),
        x + 3,
        height / 2 - 1,
      );
      lastLabelX = x;
    }
  }
}

export interface MatrixRow {
  key: string;
  label: preact.ComponentChildren;
  statuses: string;
}

export interface DayRange {
  from: string;
  to: string;
}

const ROW_H = 22;
const AXIS_H = 22;

/**
 * Assets x days. Hover shows the cell, a click picks a cell, dragging selects a range of days
 * (for a backfill).
 */
export function Matrix({
  rows,
  from,
  only,
  selection,
  onSelect,
  onCell,
}: {
  rows: readonly MatrixRow[];
  from: string;
  only: string | null;
  selection: DayRange | null;
  onSelect: (range: DayRange | null) => void;
  onCell?: (key: string, date: string, status: string) => void;
}) {
  const [box, width] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{
    x: number;
    y: number;
    key: string;
    date: string;
    status: string;
  } | null>(null);
  const drag = useRef<{ start: number; moved: boolean } | null>(null);
  const days = rows[0]?.statuses.length ?? 0;
  const height = AXIS_H + rows.length * ROW_H;
  const first = dayNumber(from);

  useEffect(() => {
    const el = canvas.current;
    if (el === null || width === 0) return;
    const ctx = setupCanvas(el, width, height);
    if (ctx === null) return;
    ctx.clearRect(0, 0, width, height);
    if (days > 0) drawAxis(ctx, from, days, width, AXIS_H);
    rows.forEach((r, i) => {
      drawRow(ctx, r.statuses, 0, AXIS_H + i * ROW_H + 3, width, ROW_H - 6, only);
    });
    if (selection !== null && days > 0) {
      const a = Math.max(0, dayNumber(selection.from) - first);
      const b = Math.min(days - 1, dayNumber(selection.to) - first);
      ctx.fillStyle = "rgba(37, 99, 235, 0.16)";
      ctx.strokeStyle = "#2563eb";
      const x = (a / days) * width;
      const w = Math.max(2, ((b - a + 1) / days) * width);
      ctx.fillRect(x, AXIS_H, w, height - AXIS_H);
      ctx.strokeRect(x + 0.5, AXIS_H + 0.5, w - 1, height - AXIS_H - 1);
    }
  }, [rows, width, only, selection, from]);

  const dayAt = (clientX: number): number => {
    const rect = canvas.current?.getBoundingClientRect();
    if (rect === undefined || days === 0) return 0;
    return Math.max(0, Math.min(days - 1, Math.floor(((clientX - rect.left) / rect.width) * days)));
  };
  const rowAt = (clientY: number): number => {
    const rect = canvas.current?.getBoundingClientRect();
    if (rect === undefined) return -1;
    return Math.floor((clientY - rect.top - AXIS_H) / ROW_H);
  };
  const range = (a: number, b: number): DayRange => ({
    from: dateOfDay(first + Math.min(a, b)),
    to: dateOfDay(first + Math.max(a, b)),
  });

  return (
    <div class="matrix">
      <div class="matrix-labels">
        <div class="matrix-axis-pad" />
        {rows.map((r) => (
          <div key={r.key} class="matrix-label">
            {r.label}
          </div>
        ))}
      </div>
      <div class="matrix-canvas" ref={box}>
        <canvas
          ref={canvas}
          data-testid="partition-matrix"
          onMouseDown={(e) => {
            drag.current = { start: dayAt(e.clientX), moved: false };
          }}
          onMouseMove={(e) => {
            const day = dayAt(e.clientX);
            const row = rowAt(e.clientY);
            const r = rows[row];
            const rect = canvas.current?.getBoundingClientRect();
            if (r !== undefined && rect !== undefined) {
              const code = r.statuses[day] ?? "-";
              setHover({
                x: e.clientX - rect.left,
                y: AXIS_H + row * ROW_H,
                key: r.key,
                date: dateOfDay(first + day),
                status: CODE_LABELS[code] ?? code,
              });
            } else setHover(null);
            if (drag.current !== null && day !== drag.current.start) {
              drag.current.moved = true;
              onSelect(range(drag.current.start, day));
            }
          }}
          onMouseLeave={() => setHover(null)}
          onMouseUp={(e) => {
            const d = drag.current;
            drag.current = null;
            if (d === null) return;
            const day = dayAt(e.clientX);
            if (d.moved) {
              onSelect(range(d.start, day));
              return;
            }
            const r = rows[rowAt(e.clientY)];
            if (r !== undefined && onCell !== undefined) {
              const code = r.statuses[day] ?? "-";
              onCell(r.key, dateOfDay(first + day), CODE_LABELS[code] ?? code);
            }
          }}
        />
        {hover !== null && (
          <div
            class="tooltip"
            style={{
              left: `${Math.min(hover.x + 12, Math.max(0, width - 240))}px`,
              top: `${hover.y - 34}px`,
            }}
          >
            <strong>{hover.date}</strong> {hover.status}
            <div class="muted small">{hover.key}</div>
          </div>
        )}
      </div>
    </div>
  );
}

/** One asset's strip (the asset page): the same drawing, a single row. */
export function Strip({ statuses, from }: { statuses: string; from: string }) {
  const [box, width] = useWidth<HTMLDivElement>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ x: number; date: string; status: string } | null>(null);
  useEffect(() => {
    const el = canvas.current;
    if (el === null || width === 0) return;
    const ctx = setupCanvas(el, width, 44);
    if (ctx === null) return;
    ctx.clearRect(0, 0, width, 44);
    drawAxis(ctx, from, statuses.length, width, 18);
    drawRow(ctx, statuses, 0, 20, width, 22, null);
  }, [statuses, width, from]);
  return (
    <div class="strip" ref={box}>
      <canvas
        ref={canvas}
        data-testid="partition-strip"
        onMouseMove={(e) => {
          const rect = canvas.current?.getBoundingClientRect();
          if (rect === undefined || statuses.length === 0) return;
          const i = Math.max(
            0,
            Math.min(
              statuses.length - 1,
              Math.floor(((e.clientX - rect.left) / rect.width) * statuses.length),
            ),
          );
          const code = statuses[i] ?? "-";
          setHover({
            x: e.clientX - rect.left,
            date: dateOfDay(dayNumber(from) + i),
            status: CODE_LABELS[code] ?? code,
          });
        }}
        onMouseLeave={() => setHover(null)}
      />
      {hover !== null && (
        <div
          class="tooltip"
          style={{ left: `${Math.min(hover.x + 12, Math.max(0, width - 180))}px`, top: "-30px" }}
        >
          <strong>{hover.date}</strong> {hover.status}
        </div>
      )}
    </div>
  );
}

export function StatusLegend() {
  return (
    <span class="legend">
      {Object.entries(CODE_LABELS).map(([code, label]) => (
        <span key={code}>
          <span class="swatch" style={{ background: CODE_COLOURS[code] }} /> {label}
        </span>
      ))}
    </span>
  );
}
