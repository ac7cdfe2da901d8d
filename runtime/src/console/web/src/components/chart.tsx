/** A small time-series chart (uPlot: canvas, fast with thousands of points). */
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export function TimeChart({
  title,
  times,
  values,
  colour,
  format,
}: {
  title: string;
  /** Epoch seconds. */
  times: readonly number[];
  values: readonly (number | null)[];
  colour: string;
  format: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const width = Math.max(240, Math.floor(el.getBoundingClientRect().width));
    const plot = new uPlot(
      {
        width,
        height: 170,
        legend: { show: false },
        cursor: { y: false, points: { size: 7 } },
        scales: { x: { time: true } },
        series: [
          {},
          {
            label: title,
            stroke: colour,
            width: 1.5,
            fill: `${colour}22`,
            points: { show: times.length < 120, size: 4, fill: colour },
            spanGaps: true,
          },
        ],
        axes: [
          { stroke: "#6b7280", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#e5e7eb" } },
          {
            stroke: "#6b7280",
            grid: { stroke: "#eef0f3" },
            ticks: { stroke: "#e5e7eb" },
            size: 64,
            values: (_u, splits) => splits.map((v) => format(v)),
          },
        ],
      },
      [[...times], [...values]] as uPlot.AlignedData,
      el,
    );
    const observer = new ResizeObserver(() => {
      plot.setSize({
        width: Math.max(240, Math.floor(el.getBoundingClientRect().width)),
        height: 170,
      });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [times, values]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
