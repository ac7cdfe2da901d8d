/**
 * The tenant's asset graph: laid out by dagre (layered, left to right: sources first), drawn as
 * SVG, zoomed and panned with d3-zoom. Each node links to its asset and is coloured by health;
 * hovering a node lights its upstream and downstream; the search box finds and centres a node.
 */
import { Graph, layout } from "@dagrejs/dagre";
import { select } from "d3-selection";
import { type ZoomBehavior, zoom, zoomIdentity } from "d3-zoom";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AssetRef, Lineage } from "../../../dto.js";
import { api, assetPath } from "../api.js";
import { HEALTH_LABEL, Loaded, usePoll } from "../components/ui.js";

const NODE_W = 224;
const NODE_H = 48;

interface Placed {
  key: string;
  x: number;
  y: number;
}

interface LaidOut {
  nodes: Map<string, Placed>;
  edges: { from: string; to: string; d: string }[];
  width: number;
  height: number;
}

function layOut(data: Lineage): LaidOut {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 90, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of data.nodes) g.setNode(n.key, { width: NODE_W, height: NODE_H });
  for (const e of data.edges) g.setEdge(e.from, e.to);
  layout(g);
  const nodes = new Map<string, Placed>();
  for (const n of data.nodes) {
    const placed = g.node(n.key);
    nodes.set(n.key, { key: n.key, x: placed.x - NODE_W / 2, y: placed.y - NODE_H / 2 });
  }
  const edges = data.edges.map((e) => {
    const a = nodes.get(e.from);
    const b = nodes.get(e.to);
    if (a === undefined || b === undefined) return { ...e, d: "" };
    // A horizontal S-curve from the right edge of the upstream node to the left edge of the other.
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const mx = (x1 + x2) / 2;
    return { ...e, d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}` };
  });
  const graph = g.graph();
  return { nodes, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** Every node upstream and downstream of `key` (itself included). */
function neighbourhood(key: string, edges: readonly { from: string; to: string }[]): Set<string> {
  const out = new Set([key]);
  const walk = (start: string, next: (k: string) => string[]) => {
    const stack = [start];
    for (let k = stack.pop(); k !== undefined; k = stack.pop()) {
      for (const n of next(k)) {
        if (!out.has(n)) {
          out.add(n);
          stack.push(n);
        }
      }
    }
  };
  walk(key, (k) => edges.filter((e) => e.to === k).map((e) => e.from));
  walk(key, (k) => edges.filter((e) => e.from === k).map((e) => e.to));
  return out;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function GraphView({ tenant, data }: { tenant: string; data: Lineage }) {
  const structure = `${data.nodes.map((n) => n.key).join(",")}|${data.edges.map((e) => `${e.from}>${e.to}`).join(",")}`;
  // The layout depends on the structure only: health changes recolour, they do not move nodes.
  const laid = useMemo(() => layOut(data), [structure]);
  const svgRef = useRef<SVGSVGElement>(null);
  const gRef = useRef<SVGGElement>(null);
  const zoomRef = useRef<ZoomBehavior<SVGSVGElement, unknown> | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  const lit = useMemo(
    () => (hover === null ? null : neighbourhood(hover, data.edges)),
    [hover, structure],
  );
  const matches = useMemo(() => {
    const q = search.trim().toLowerCase();
    return q === ""
      ? null
      : new Set(data.nodes.filter((n) => n.key.toLowerCase().includes(q)).map((n) => n.key));
  }, [search, structure]);

  const focus = (key: string, scale = 1) => {
    const svg = svgRef.current;
    const z = zoomRef.current;
    const n = laid.nodes.get(key);
    if (svg === null || z === null || n === undefined) return;
    const { width, height } = svg.getBoundingClientRect();
    select(svg).call(
      z.transform,
      zoomIdentity
        .translate(width / 2 - (n.x + NODE_W / 2) * scale, height / 2 - (n.y + NODE_H / 2) * scale)
        .scale(scale),
    );
  };

  const fit = () => {
    const svg = svgRef.current;
    const z = zoomRef.current;
    if (svg === null || z === null) return;
    const { width, height } = svg.getBoundingClientRect();
    const k = Math.min(1.2, width / Math.max(1, laid.width), height / Math.max(1, laid.height));
    // Past this scale labels are unreadable: show the sources' end readably instead of all of it.
    const scale = Math.max(k, 0.45);
    const x = k >= 0.45 ? (width - laid.width * scale) / 2 : 0;
    const y = k >= 0.45 ? (height - laid.height * scale) / 2 : 0;
    select(svg).call(z.transform, zoomIdentity.translate(x, y).scale(scale));
  };

  useEffect(() => {
    const svg = svgRef.current;
    if (svg === null) return;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.05, 2.5])
      .on("zoom", (event: { transform: { toString(): string } }) => {
        gRef.current?.setAttribute("transform", event.transform.toString());
      });
    zoomRef.current = z;
    select(svg).call(z).on("dblclick.zoom", null);
    fit();
    return () => {
      select(svg).on(".zoom", null);
    };
  }, [laid]);

  const byKey = new Map<string, AssetRef>(data.nodes.map((n) => [n.key, n]));
  const dim = (key: string) =>
    (lit !== null && !lit.has(key)) || (matches !== null && !matches.has(key));
  return (
    <div class="lineage">
      <div class="toolbar">
        <input
          type="search"
          placeholder="Find an asset…"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key !== "Enter" || matches === null) return;
            const first = [...matches][0];
            if (first !== undefined) focus(first, 1);
          }}
        />
        <span class="muted small">
          {data.nodes.length} assets · {data.edges.length} edges
          {matches !== null &&
            ` · ${matches.size} match${matches.size === 1 ? "" : "es"} (Enter to centre)`}
        </span>
        <span class="spacer" />
        <span class="legend">
          {(["fresh", "stale", "failed", "never"] as const).map((h) => (
            <span key={h}>
              <span class={`dot health-${h}`} /> {HEALTH_LABEL[h]}
            </span>
          ))}
        </span>
        <button type="button" onClick={fit}>
          Fit
        </button>
      </div>
      <svg ref={svgRef} class="graph" role="img" aria-label={`asset graph of ${tenant}`}>
        <g ref={gRef}>
          <g class="edges">
            {laid.edges.map((e) => (
              <path
                key={`${e.from}>${e.to}`}
                d={e.d}
                class={
                  lit?.has(e.from) && lit.has(e.to)
                    ? "edge lit"
                    : dim(e.from) || dim(e.to)
                      ? "edge dim"
                      : "edge"
                }
              />
            ))}
          </g>
          {data.nodes.map((n) => {
            const p = laid.nodes.get(n.key);
            if (p === undefined) return null;
            const ref = byKey.get(n.key) ?? n;
            return (
              <g
                key={n.key}
                class={`node health-${ref.health}${ref.running ? " running" : ""}${dim(n.key) ? " dim" : ""}${matches?.has(n.key) === true ? " match" : ""}`}
                transform={`translate(${p.x},${p.y})`}
                data-key={n.key}
              >
                <a
                  href={`/t/${encodeURIComponent(tenant)}/assets/${assetPath(n.key)}`}
                  onMouseEnter={() => setHover(n.key)}
                  onMouseLeave={() => setHover(null)}
                  onFocus={() => setHover(n.key)}
                  onBlur={() => setHover(null)}
                >
                  <title>{`${n.key}\n${HEALTH_LABEL[ref.health]}${ref.running ? ", running now" : ""}`}</title>
                  <rect class="node-box" width={NODE_W} height={NODE_H} rx={8} />
                  <rect class="node-bar" width={6} height={NODE_H} rx={3} />
                  <text class="node-kind" x={16} y={17}>
                    {n.kind}
                    {ref.partitioned ? " · daily" : ""}
                  </text>
                  <text class="node-name" x={16} y={36}>
                    {truncate(n.name, 27)}
                  </text>
                </a>
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}

export function LineagePage({ tenant }: { tenant: string }) {
  const polled = usePoll(() => api.lineage(tenant), [tenant], 10_000);
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Lineage</h1>
          <p class="sub">
            Extract, transfer, load and dbt assets of {tenant}. Scroll to zoom, drag to pan, click a
            node to open it.
          </p>
        </div>
      </header>
      <Loaded polled={polled}>{(data) => <GraphView tenant={tenant} data={data} />}</Loaded>
    </>
  );
}
