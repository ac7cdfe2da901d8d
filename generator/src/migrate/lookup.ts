/**
 * The old transform lookup and its correction, as two pure rules over a tenant package:
 *
 * - `oldLookup`: what TenantLoader.get_transfer_function(<pipeline name>) returned — an entry
 *   under the pipeline's name in CUSTOM_TRANSFER_FUNCTIONS, then CUSTOM_TRANSFORM_FUNCTIONS,
 *   then the common map, then the common WIP function as the default;
 * - `intendedTransform`: what the pipeline was meant to run — the tenant's entry under the
 *   pipeline's name, else its override under the name the lookup should have used (lot_history:
 *   aps_wip, process_result: cycle_time, equipment_event: equipment_utilization), else that
 *   common function.
 */
import type { CustomCode, PythonFunction, Registration } from "./custom-code.js";
import {
  COMMON_TRANSFER_FILE,
  COMMON_TRANSFORMS,
  type CommonTransform,
  FALLBACK_REGISTRATION,
  INTENDED_REGISTRATION,
  TRANSFER_FUNCTION_DICTS,
} from "./legacy-facts.js";

/** A function the lookup found: resolved to its definition, or only named (`unresolved`). */
export interface Found {
  fn: PythonFunction | null;
  /** What the registration names when it could not be followed to a definition. */
  unresolved: string | null;
}

export interface OldLookup extends Found {
  /** The registration that answered, or null when the common map or the default did. */
  registration: Registration | null;
  /** How the lookup got there, in words. */
  how: string;
}

export interface Intended extends Found {
  /** The common function that is the port's basis (columns, module name, worked example). */
  common: CommonTransform | null;
  /** Set when the intended function is the tenant's override of this common function. */
  overrides: CommonTransform | null;
}

/** An old function as a PythonFunction value. */
export function commonFunction(common: CommonTransform): PythonFunction {
  return {
    name: common.python,
    file: COMMON_TRANSFER_FILE,
    line: common.line,
    reads: common.reads,
    common,
  };
}

/** The entry of `key` in the two dicts, in lookup order, that is not None. */
function registered(code: CustomCode, key: string): Registration | null {
  for (const dict of TRANSFER_FUNCTION_DICTS) {
    const hit = code.registrations.find(
      (r) => r.dict === dict && r.key === key && (r.fn !== null || r.unresolved !== null),
    );
    if (hit !== undefined) {
      return hit;
    }
  }
  return null;
}

const common = (name: string): CommonTransform | null =>
  Object.hasOwn(COMMON_TRANSFORMS, name) ? (COMMON_TRANSFORMS[name] ?? null) : null;

/** What the old lookup returned for `pipeline`. */
export function oldLookup(code: CustomCode, pipeline: string): OldLookup {
  const hit = registered(code, pipeline);
  if (hit !== null) {
    return {
      fn: hit.fn,
      unresolved: hit.unresolved,
      registration: hit,
      how: `${hit.dict}["${pipeline}"]`,
    };
  }
  const keys = code.registrations.map((r) => `${r.dict}["${r.key}"]`);
  const custom = keys.length === 0 ? "no custom entry" : `not among ${keys.join(", ")}`;
  const byName = common(pipeline);
  if (byName !== null) {
    return {
      fn: commonFunction(byName),
      unresolved: null,
      registration: null,
      how: `${custom}; the common map has it`,
    };
  }
  const fallback = common(FALLBACK_REGISTRATION);
  return {
    fn: fallback === null ? null : commonFunction(fallback),
    unresolved: null,
    registration: null,
    how: `${custom}; not in the common map (aps_wip, cycle_time, equipment_utilization) either: the fallback`,
  };
}

/** What `pipeline` was meant to run. */
export function intendedTransform(code: CustomCode, pipeline: string): Intended {
  const name = Object.hasOwn(INTENDED_REGISTRATION, pipeline)
    ? (INTENDED_REGISTRATION[pipeline] ?? null)
    : common(pipeline) !== null
      ? pipeline
      : null;
  const basis = name === null ? null : common(name);
  const own = registered(code, pipeline);
  if (own !== null) {
    return { fn: own.fn, unresolved: own.unresolved, common: basis, overrides: basis };
  }
  if (name === null || basis === null) {
    return { fn: null, unresolved: null, common: null, overrides: null };
  }
  const override = registered(code, name);
  if (override !== null) {
    return { fn: override.fn, unresolved: override.unresolved, common: basis, overrides: basis };
  }
  return { fn: commonFunction(basis), unresolved: null, common: basis, overrides: null };
}
