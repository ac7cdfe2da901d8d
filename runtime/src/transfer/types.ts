/**
 * Transform types shared by the generated entrypoint and the runtime.
 *
 * Placeholder owned by the load/transfer engineer: the orchestration CLI only needs a registry of
 * functions by pipeline name. `(...args: never[]) => unknown` is the widest function type, so any
 * tenant transform assigns to it until the precise signature lands here.
 */
export type TransformFn = (...args: never[]) => unknown;

/** Tenant transforms by pipeline name, as emitted into generated/<id>/src/transforms/index.ts. */
export type TransformRegistry = Readonly<Record<string, TransformFn>>;
