/** Maps a YAML path to a line and column of the source text. */
import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export type YamlPath = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

/**
 * Position of the node at `path`, or of its deepest existing ancestor. With `key`, points at the
 * key of the last segment (useful for unknown keys) rather than its value.
 */
export function locate(doc: Document, lc: LineCounter, path: YamlPath, key = false): Position {
  let node: unknown = doc.contents;
  let pos = rangeStart(node);
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) {
        break;
      }
      if (last && key) {
        pos = rangeStart(pair.key) ?? pos;
        break;
      }
      node = pair.value;
      pos = rangeStart(node) ?? rangeStart(pair.key) ?? pos;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) {
        break;
      }
      node = item;
      pos = rangeStart(node) ?? pos;
    } else {
      break;
    }
  }
  if (pos === undefined) {
    return { line: 1, col: 1 };
  }
  const p = lc.linePos(pos);
  return { line: p.line, col: p.col };
}

function rangeStart(node: unknown): number | undefined {
  if (node !== null && typeof node === "object" && "range" in node) {
    const range = (node as Node).range;
    return range?.[0];
  }
  return undefined;
}

/** The YAML path of the innermost map key whose pair contains `offset` (for parser errors). */
export function pathAtOffset(doc: Document, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as Node | null;
        const v = p.value as Node | null;
        const start = k?.range?.[0] ?? Number.POSITIVE_INFINITY;
        const end = v?.range?.[2] ?? k?.range?.[2] ?? Number.NEGATIVE_INFINITY;
        return offset >= start && offset <= end;
      });
      if (pair === undefined || !isScalar(pair.key)) {
        return path;
      }
      path.push(String(pair.key.value));
      node = pair.value;
    } else if (isSeq(node)) {
      const idx = node.items.findIndex((item) => {
        const r = (item as Node | null)?.range;
        return r !== undefined && r !== null && offset >= r[0] && offset <= r[2];
      });
      if (idx === -1) {
        return path;
      }
      path.push(idx);
      node = node.items[idx];
    } else {
      return path;
    }
  }
}
