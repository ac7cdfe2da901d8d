/**
 * Which Node.js versions the packages support, and what they say about it (the decision and its
 * evidence: docs/decisions/node-version.md). Node.js 20 is supported until NODE_20_SUPPORT_ENDS,
 * the week the AWS SDK for JavaScript v3 stops publishing releases for it; 22 and 24 (LTS) are
 * supported; the deploy image runs 24.
 */

/** Last day Node.js 20 is supported (the AWS SDK v3's cut-off: first week of January 2027). */
export const NODE_20_SUPPORT_ENDS = "2027-01-07";
/** Node.js 20's own end of life (nodejs/Release schedule). */
export const NODE_20_END_OF_LIFE = "2026-04-30";
/**
 * Oldest releases of each supported line (package.json engines): 20.19.0 is the floor the project
 * started with; 22.12.0 is the 22.x release with the same module loading (`require()` of ES
 * modules on by default). Only 20.20 is tested here (docs/decisions/node-version.md).
 */
export const NODE_MINIMUM = "20.19.0";
export const NODE_22_MINIMUM = "22.12.0";

/** The AWS SDK's own switch for its Node.js version notice (aws/aws-sdk-js-v3 issue 7983). */
export const AWS_SDK_NODE_NOTICE_ENV = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

export interface NodeSupport {
  supported: boolean;
  /** One line for `validate`: the version and what it means for this installation. */
  note: string;
}

function parse(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version
    .replace(/^v/, "")
    .split(".")
    .map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

function atLeast(version: string, minimum: string): boolean {
  const a = parse(version);
  const b = parse(minimum);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** What the packages say about Node.js `version` on `today` (YYYY-MM-DD, UTC). */
export function nodeSupport(
  version: string = process.versions.node,
  today: string = new Date().toISOString().slice(0, 10),
): NodeSupport {
  const [major] = parse(version);
  const v = `node v${version.replace(/^v/, "")}`;
  if (major === 20) {
    if (!atLeast(version, NODE_MINIMUM)) {
      return { supported: false, note: `${v} is older than ${NODE_MINIMUM}: upgrade Node.js` };
    }
    if (today > NODE_20_SUPPORT_ENDS) {
      return {
        supported: false,
        note: `${v}: Node.js 20 support ended on ${NODE_20_SUPPORT_ENDS}; run Node.js 22 or 24`,
      };
    }
    return {
      supported: true,
      note: `${v}: supported until ${NODE_20_SUPPORT_ENDS} (Node.js 20 reached its end of life on ${NODE_20_END_OF_LIFE}; plan the move to Node.js 22 or 24)`,
    };
  }
  if (major === 22 && !atLeast(version, NODE_22_MINIMUM)) {
    return { supported: false, note: `${v} is older than ${NODE_22_MINIMUM}: upgrade Node.js` };
  }
  if (major === 22 || major >= 24) {
    return { supported: true, note: `${v}: supported` };
  }
  return { supported: false, note: `${v} is not supported: run Node.js 22 or 24` };
}

/**
 * Quiets the AWS SDK's Node.js version notice, with the switch the SDK provides for it, while we
 * support the running Node.js 20: the SDK prints it on every process start, where it tells a user
 * nothing they can act on (the deadline is ours, and `validate` states it). An explicit setting
 * of the variable is left alone; outside the support window the notice is not quieted.
 */
export function quietAwsSdkNodeNotice(
  env: NodeJS.ProcessEnv,
  version: string = process.versions.node,
  today?: string,
): boolean {
  if (env[AWS_SDK_NODE_NOTICE_ENV] !== undefined) return false;
  const support = nodeSupport(version, today);
  if (parse(version)[0] !== 20 || !support.supported) return false;
  env[AWS_SDK_NODE_NOTICE_ENV] = "true";
  return true;
}
