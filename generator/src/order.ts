/**
 * The one order the generator sorts text in: code points, the same on every machine and locale
 * (unlike localeCompare), so generated files and problem reports never depend on where they ran.
 */

/** Code-point order of two strings. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator ordering items by a text key, in code-point order. */
export function byText<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareText(key(a), key(b));
}

/** The entries of a map or record, sorted by key. */
export function sortedEntries<V>(
  source: ReadonlyMap<string, V> | Readonly<Record<string, V>>,
): [string, V][] {
  const entries: [string, V][] =
    source instanceof Map ? [...source.entries()] : Object.entries(source);
  return entries.sort(([a], [b]) => compareText(a, b));
}
