/**
 * Handlebars templates of the prose of the generated packages (the READMEs), and nothing else:
 * every other file is printed from values. Escaping is off (`noEscape`), so every user-chosen
 * value arrives already escaped for where it lands (`mdText`, `mdCode`, `mermaidLabel` in
 * escape.ts).
 */
import Handlebars from "handlebars";

/** An isolated Handlebars environment: no global helper registry is shared or mutated. */
const hb = Handlebars.create();

const compile = (text: string) => hb.compile(text, { noEscape: true, strict: true });

export const tenantReadme = compile(`{{header}}
# {{name}} ({{idCode}})

Standalone ETL package of tenant {{idCode}}, compiled from {{configFile}}.
Package {{packageCode}}, command {{binCode}}.

\`\`\`sh
npx turbo run build --filter={{packageName}}
node generated/{{id}}/dist/main.js list            # assets, jobs, schedules (--json)
node generated/{{id}}/dist/main.js validate        # configuration and environment variables
ETL_ENVIRONMENT=dev node generated/{{id}}/dist/main.js run daily_etl --partition 2024-01-02
npx turbo run test --filter={{packageName}}
\`\`\`

## Environments

| Environment | Enabled | Assets | Jobs |
| --- | --- | --- | --- |
{{#each environments}}
| {{name}} | {{#if enabled}}yes{{else}}no{{/if}} | {{assetCount}} | {{jobCount}} |
{{/each}}

## Lineage

Every asset of any environment; the table below says where each one exists.

\`\`\`mermaid
graph LR
{{#each nodes}}
  {{id}}["{{label}}"]
{{/each}}
{{#each edges}}
  {{from}} --> {{to}}
{{/each}}
\`\`\`

| Asset | Stage | Partitioned | dev | staging | prod |
| --- | --- | --- | --- | --- | --- |
{{#each assets}}
| {{key}} | {{stage}} | {{#if partitioned}}daily{{else}}no{{/if}} | {{dev}} | {{staging}} | {{prod}} |
{{/each}}

## Jobs

| Job | Description | Assets | Partitioned | Concurrency | dev | staging | prod |
| --- | --- | --- | --- | --- | --- | --- | --- |
{{#each jobs}}
| {{name}} | {{description}} | {{assetCount}} | {{#if partitioned}}daily{{else}}no{{/if}} | {{concurrency}} | {{dev}} | {{staging}} | {{prod}} |
{{/each}}

## Schedules

{{#if schedules.length}}
| Job | Cron | Time zone | Starts automatically |
| --- | --- | --- | --- |
{{#each schedules}}
| {{job}} | {{cron}} | {{timezone}} | {{#if autoStart}}yes{{else}}no (start with \`serve\`){{/if}} |
{{/each}}
{{else}}
No job of this tenant has a schedule.
{{/if}}

Daily partitions start on {{partitions.startDate}} and follow the {{partitions.timezone}} time zone.

## Environment variables

Read at run time only; nothing from the generating machine is stored in this package.
\`ETL_ENVIRONMENT\` (dev, staging, prod; default dev) picks the environment.

| Variable | Default |
| --- | --- |
{{#each envVars}}
| {{name}} | {{#if hasDefault}}{{default}}{{else}}(required){{/if}} |
{{/each}}
{{#if allowedEnv.length}}

Allowed by \`allowed_env\` in {{configFile}} (outside the tenant's own {{ownPrefix}} variables and the shared ones): {{#each allowedEnv}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}.
{{/if}}
{{#if columns.length}}

## Columns

What each source column becomes downstream of the extract (Parquet field, Trino column, row
property), from the introspection snapshot.
{{#each columns}}

### \`{{pipeline}}\` (target_naming: {{naming}})

| Source column | Target column | Trino type |
| --- | --- | --- |
{{#each columns}}
| {{source}} | {{target}} | {{type}} |
{{/each}}
{{/each}}
{{/if}}
`);

export const allReadme = compile(`{{header}}
# All tenants (\`@etl/all\`)

One entrypoint for every enabled tenant; each tenant keeps its own plan, transforms and
resources (only the environment variables its plan references are visible to it).

\`\`\`sh
npx turbo run build --filter=@etl/all
node generated/all/dist/main.js tenants                # the tenants served
node generated/all/dist/main.js <tenant> list --json   # any command of etl-<tenant>
node generated/all/dist/main.js ui                     # one web console for every tenant
\`\`\`

| Tenant | Name | Package |
| --- | --- | --- |
{{#each tenants}}
| {{id}} | {{name}} | {{packageName}} |
{{/each}}
`);
