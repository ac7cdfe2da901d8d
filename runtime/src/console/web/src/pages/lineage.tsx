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
import { useLocation } from "../router.js";

const NODE_W = 224;
const NODE_H = 48;
const ZOOMED_OUT = 0.42;

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

/** The part of the graph upstream and downstream of `focus` (all of it when null). */
function around(data: Lineage, focus: string | null): Lineage {
  if (focus === null || !data.nodes.some((n) => n.key === focus)) return data;
  const keep = neighbourhood(focus, data.edges);
  return {
    nodes: data.nodes.filter((n) => keep.has(n.key)),
    edges: data.edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
  };
}

function GraphView({
  tenant,
  data,
  focused,
}: {
  tenant: string;
  data: Lineage;
  focused: string | null;
}) {
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
    const k = Math.max(
      0.03,
      Math.min(1.2, width / Math.max(1, laid.width), height / Math.max(1, laid.height)),
    );
    select(svg).call(
      z.transform,
      zoomIdentity.translate((width - laid.width * k) / 2, (height - laid.height * k) / 2).scale(k),
    );
  };

  /**
   * A graph that fits readably is shown whole. A larger one (hundreds of dbt models stack up in
   * tall layers) opens readable at its first failed asset, else at its first source, so the page
   * starts on something to read; Fit shows the whole map.
   */
  const initialView = () => {
    const svg = svgRef.current;
    if (svg === null) return;
    const { width, height } = svg.getBoundingClientRect();
    if (
      Math.min(width / Math.max(1, laid.width), height / Math.max(1, laid.height)) >= ZOOMED_OUT
    ) {
      fit();
      return;
    }
    const failed = data.nodes.find((n) => n.health === "failed");
    const sources = data.nodes
      .filter((n) => !data.edges.some((e) => e.to === n.key))
      .map((n) => laid.nodes.get(n.key))
      .filter((p): p is Placed => p !== undefined)
      .sort((a, b) => a.x - b.x || a.y - b.y);
    const anchor = failed === undefined ? sources[0] : laid.nodes.get(failed.key);
    const z = zoomRef.current;
    if (anchor === undefined || z === null) {
      fit();
      return;
    }
    const scale = 0.85;
    select(svg).call(
      z.transform,
      zoomIdentity
        .translate(
          width * 0.3 - (anchor.x + NODE_W / 2) * scale,
          height / 2 - (anchor.y + NODE_H / 2) * scale,
        )
        .scale(scale),
    );
  };

  useEffect(() => {
    const svg = svgRef.current;
    if (svg === null) return;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.03, 2.5])
      .on("zoom", (event: { transform: { k: number; toString(): string } }) => {
        gRef.current?.setAttribute("transform", event.transform.toString());
        // Below this scale labels are unreadable: nodes become boxes coloured by health (a map).
        svg.classList.toggle("zoomed-out", event.transform.k < ZOOMED_OUT);
      });
    zoomRef.current = z;
    select(svg).call(z).on("dblclick.zoom", null);
    initialView();
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
                class={`node health-${ref.health}${ref.running ? " running" : ""}${dim(n.key) ? " dim" : ""}${matches?.has(n.key) === true || focused === n.key ? " match" : ""}`}
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
  const focus = useLocation().search.get("focus");
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Lineage</h1>
          <p class="sub">
            {focus === null ? (
              <>Extract, transfer, load and dbt assets of {tenant}. </>
            ) : (
              <>
                Upstream and downstream of <span class="mono">{focus}</span> ·{" "}
                <a href={`/t/${encodeURIComponent(tenant)}/lineage`}>whole graph</a>.{" "}
              </>
            )}
            Scroll to zoom, drag to pan, click a node to open it. A large graph opens at its first
            failed asset; Fit shows the whole map.
          </p>
        </div>
      </header>
      <Loaded polled={polled}>
        {(data) => (
          <GraphView key={focus ?? ""} tenant={tenant} data={around(data, focus)} focused={focus} />
        )}
      </Loaded>
    </>
  );
}
