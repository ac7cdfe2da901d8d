/** Small synthetic manifests for the cases no real fixture covers, and a large one for benchmarks. */

export interface SyntheticNode {
  id: string;
  type?: "model" | "seed" | "snapshot" | "test" | "analysis";
  name?: string;
  pkg?: string;
  materialized?: string;
  enabled?: boolean;
  version?: number | string;
  deps?: string[];
  attached?: string;
  file?: string;
  fqn?: string[];
}

export interface SyntheticSource {
  source: string;
  table: string;
  pkg?: string;
  enabled?: boolean;
}

/** A manifest holding only what dbt always writes plus the given nodes and sources. */
export function syntheticManifest(
  version: number,
  nodes: SyntheticNode[],
  sources: SyntheticSource[] = [],
): Record<string, unknown> {
  const outNodes: Record<string, unknown> = {};
  for (const n of nodes) {
    const parts = n.id.split(".");
    const type = n.type ?? (parts[0] as SyntheticNode["type"]) ?? "model";
    const pkg = n.pkg ?? parts[1] ?? "proj";
    const name = n.name ?? parts[2] ?? n.id;
    const dir = type === "seed" ? "seeds" : type === "snapshot" ? "snapshots" : "models";
    outNodes[n.id] = {
      unique_id: n.id,
      resource_type: type,
      name,
      package_name: pkg,
      path: `${name}.sql`,
      original_file_path: n.file ?? `${dir}/${name}.${type === "seed" ? "csv" : "sql"}`,
      fqn: n.fqn ?? [pkg, name, ...(n.version === undefined ? [] : [`v${n.version}`])],
      ...(n.version === undefined ? {} : { version: n.version }),
      config: {
        enabled: n.enabled ?? true,
        materialized:
          n.materialized ?? (type === "test" ? "test" : type === "seed" ? "seed" : "view"),
        severity: "ERROR",
        some_future_field: { nested: true },
      },
      depends_on: { macros: [], nodes: n.deps ?? [] },
      ...(n.attached === undefined ? {} : { attached_node: n.attached }),
      checksum: { name: "sha256", checksum: "0" },
    };
  }
  const outSources: Record<string, unknown> = {};
  for (const s of sources) {
    const pkg = s.pkg ?? "p";
    const id = `source.${pkg}.${s.source}.${s.table}`;
    outSources[id] = {
      unique_id: id,
      resource_type: "source",
      source_name: s.source,
      name: s.table,
      identifier: s.table,
      package_name: pkg,
      original_file_path: "models/sources.yml",
      fqn: [pkg, s.source, s.table],
      config: { enabled: s.enabled ?? true },
    };
  }
  return {
    metadata: {
      dbt_schema_version: `https://schemas.getdbt.com/dbt/manifest/v${version}.json`,
      dbt_version: "1.10.0",
      generated_at: "2024-01-01T00:00:00Z",
      invocation_id: "00000000-0000-0000-0000-000000000000",
    },
    nodes: outNodes,
    sources: outSources,
    macros: {},
    docs: {},
    exposures: {},
    metrics: {},
    disabled: {},
    parent_map: {},
    child_map: {},
  };
}

/**
 * A manifest of `models` models in layers of 20 (each model reads two of the layer above), one seed
 * per first-layer model pair, a source feeding the first layer, and a not_null test per model.
 */
export function largeManifest(models: number): Record<string, unknown> {
  const nodes: SyntheticNode[] = [];
  const width = 20;
  for (let i = 0; i < models; i++) {
    const layer = Math.floor(i / width);
    const deps: string[] = [];
    if (layer === 0) {
      deps.push(`seed.big.seed_${Math.floor(i / 2)}`);
    } else {
      const above = (layer - 1) * width;
      deps.push(`model.big.m_${above + (i % width)}`, `model.big.m_${above + ((i + 7) % width)}`);
    }
    nodes.push({ id: `model.big.m_${i}`, deps, materialized: i % 3 === 0 ? "table" : "view" });
    nodes.push({
      id: `test.big.not_null_m_${i}_id.${i.toString(16).padStart(10, "0")}`,
      name: `not_null_m_${i}_id`,
      deps: [`model.big.m_${i}`],
      attached: `model.big.m_${i}`,
    });
  }
  for (let s = 0; s < Math.ceil(Math.min(models, width) / 2); s++) {
    nodes.push({ id: `seed.big.seed_${s}` });
  }
  return syntheticManifest(12, nodes, [{ source: "raw", table: "events", pkg: "big" }]);
}
