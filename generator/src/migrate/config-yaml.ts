/** The migrated config.yaml: a YAML document printed like the repository's tenants. */
import { Document, isMap, isScalar, isSeq, Scalar, type YAMLMap } from "yaml";
import type { ConvertContext } from "./context.js";

/** The config as YAML: the header, the comments the steps asked for, queries as literal blocks. */
export function configYaml(ctx: ConvertContext, tenant: Record<string, unknown>): string {
  const doc = new Document({ tenant });
  doc.commentBefore = [
    ` Migrated from the Dagster tenant ${ctx.oldId} (folder ${ctx.input.source}/) by npm run migrate.`,
    " MIGRATION.md beside this file lists what was translated and what a person must still do.",
    " Reference: docs/config-reference.md; the rules of the migration: docs/migrating.md.",
  ].join("\n");
  for (const c of ctx.comments) {
    const parent = doc.getIn(["tenant", ...c.path.slice(0, -1)], true);
    if (isMap(parent)) {
      const pair = (parent as YAMLMap).items.find(
        (item) => isScalar(item.key) && item.key.value === c.path[c.path.length - 1],
      );
      if (pair !== undefined && isScalar(pair.key)) {
        pair.key.commentBefore = wrapComment(c.text);
      }
    }
  }
  // Queries read best as literal blocks, short lists on one line; every other string is
  // double-quoted like the repository's tenants.
  for (const name of Object.keys((tenant.assets as { pipelines: object }).pipelines)) {
    const pipeline = ["tenant", "assets", "pipelines", name];
    const query = doc.getIn([...pipeline, "query"], true);
    if (isScalar(query)) {
      query.type = Scalar.BLOCK_LITERAL;
    }
    for (const list of [
      [...pipeline, "transfer_inputs"],
      [...pipeline, "trino_output", "key_columns"],
    ]) {
      const seq = doc.getIn(list, true);
      if (isSeq(seq)) {
        seq.flow = true;
      }
    }
  }
  return doc.toString({
    defaultStringType: "QUOTE_DOUBLE",
    defaultKeyType: "PLAIN",
    lineWidth: 0,
    flowCollectionPadding: false,
  });
}

/** A YAML comment's text in lines of at most 90 characters (each starting with a space). */
function wrapComment(text: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.trim().split(/\s+/)) {
    if (line !== "" && line.length + word.length + 1 > 90) {
      lines.push(` ${line}`);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(` ${line}`);
  return lines.join("\n");
}
