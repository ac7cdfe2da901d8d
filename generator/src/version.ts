/** Version stamped into every generated file header; kept equal to package.json by a test. */
export const GENERATOR_VERSION = "0.1.0";
