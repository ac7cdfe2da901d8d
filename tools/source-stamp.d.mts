/** Types of tools/source-stamp.mjs (see there). */
export const repoRoot: string;
export function sourceHash(pkgDir: string): string;
export function isFresh(dir: string, bundled?: string[]): boolean;
