/**
 * Asset keys: `<tenant>/<stage>/<name>`, stage one of extract, transfer, load and dbt. The
 * generator names every asset of a plan with assetKey; the runtime reads keys back with
 * parseAssetKey (e.g. which extracts a dbt model reads), so both spell a key the same way.
 */
import { STAGES, type Stage } from "../plan.js";

export interface AssetKeyParts {
  tenant: string;
  stage: Stage;
  name: string;
}

/** The key of one asset. */
export function assetKey(tenant: string, stage: Stage, name: string): string {
  return `${tenant}/${stage}/${name}`;
}

/** The parts of a key, or null when it is not `<tenant>/<stage>/<name>`. */
export function parseAssetKey(key: string): AssetKeyParts | null {
  const [tenant, stage, name, extra] = key.split("/");
  if (!tenant || !isStage(stage) || !name || extra !== undefined) {
    return null;
  }
  return { tenant, stage, name };
}

function isStage(text: string | undefined): text is Stage {
  return (STAGES as readonly string[]).includes(text ?? "");
}
