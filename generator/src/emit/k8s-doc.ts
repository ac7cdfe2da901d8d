/** One Kubernetes object as a YAML file with the generated-file header. Pure. */
import { stringify } from "yaml";
import { headerLines } from "./common.js";
import { commentLine } from "./escape.js";

/**
 * The header as comments, then the object. Objects come from code, never from templates; a value
 * with a newline is printed as a YAML scalar, never as a new line of the file's structure.
 */
export function yamlFile(inputs: readonly string[], doc: unknown): string {
  const header = headerLines(inputs)
    .map((line) => `# ${commentLine(line)}`)
    .join("\n");
  return `${header}\n${stringify(doc, { lineWidth: 0, sortMapEntries: false, aliasDuplicateObjects: false })}`;
}
