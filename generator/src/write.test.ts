/**
 * The writer on a real temporary folder: given what is on disk and the output of a run, what it
 * changes (or refuses), and what is on disk afterwards. generator/test/write.test.ts runs it on
 * whole generated tenants.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MARKER_FILE } from "./emit/common.js";
import { changes, type Output, outputProblems, write } from "./write.js";

const MARKER = `generated/acme/${MARKER_FILE}`;
const roots: string[] = [];

/** What a test puts on disk: files by path, symbolic links by path (their target as written). */
interface Disk {
  files?: Record<string, string>;
  links?: Record<string, string>;
}

/** A fresh folder holding `repo/` with `disk` in it, and `outside/keep.txt` beside it. */
function given(disk: Disk): string {
  const base = mkdtempSync(path.join(tmpdir(), "etl-write-"));
  roots.push(base);
  const root = path.join(base, "repo");
  mkdirSync(path.join(base, "outside"), { recursive: true });
  writeFileSync(path.join(base, "outside", "keep.txt"), "keep\n");
  mkdirSync(root);
  for (const [rel, text] of Object.entries(disk.files ?? {})) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  for (const [rel, target] of Object.entries(disk.links ?? {})) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    symlinkSync(target, path.join(root, rel));
  }
  return root;
}

/** Everything under `dir` (the repository, or the folder beside it): file texts, link targets, folders. */
function onDisk(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const child = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(path.join(dir, child));
      if (st.isSymbolicLink()) out[child] = `-> ${readlinkSync(path.join(dir, child))}`;
      else if (st.isDirectory()) {
        out[`${child}/`] = "";
        walk(child);
      } else out[child] = readFileSync(path.join(dir, child), "utf8");
    }
  };
  walk("");
  return out;
}

/** The output of a run generating tenant acme (its marker included) with these files. */
function output(files: Record<string, string>, extra: Partial<Output> = {}): Output {
  return {
    files: new Map(Object.entries({ [MARKER]: "# generated\n", ...files })),
    ownedDirs: ["generated/acme"],
    pruneStale: true,
    ...extra,
  };
}

const listed = (list: ReturnType<typeof write>) => list.map((c) => `${c.kind} ${c.path}`);

afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("write", () => {
  it.each([
    [
      "a first run writes every file",
      {},
      output({ "generated/acme/src/plan.ts": "plan\n" }),
      [`add ${MARKER}`, "add generated/acme/src/plan.ts"],
      {
        "generated/": "",
        "generated/acme/": "",
        [MARKER]: "# generated\n",
        "generated/acme/src/": "",
        "generated/acme/src/plan.ts": "plan\n",
      },
    ],
    [
      "a changed file is rewritten; a file the run no longer makes is deleted with its empty folder",
      {
        files: {
          [MARKER]: "# generated\n",
          "generated/acme/src/plan.ts": "old\n",
          "generated/acme/deploy/k8s/cronjob-gone.yaml": "gone\n",
        },
      },
      output({ "generated/acme/src/plan.ts": "new\n" }),
      ["delete generated/acme/deploy/k8s/cronjob-gone.yaml", "change generated/acme/src/plan.ts"],
      {
        "generated/": "",
        "generated/acme/": "",
        [MARKER]: "# generated\n",
        "generated/acme/src/": "",
        "generated/acme/src/plan.ts": "new\n",
      },
    ],
    [
      "build products are neither compared nor deleted",
      {
        files: {
          [MARKER]: "# generated\n",
          "generated/acme/dist/main.js": "built\n",
          "generated/acme/node_modules/x/index.js": "dep\n",
          "generated/acme/tsconfig.tsbuildinfo": "{}",
        },
      },
      output({}),
      [],
      {
        "generated/": "",
        "generated/acme/": "",
        [MARKER]: "# generated\n",
        "generated/acme/dist/": "",
        "generated/acme/dist/main.js": "built\n",
        "generated/acme/node_modules/": "",
        "generated/acme/node_modules/x/": "",
        "generated/acme/node_modules/x/index.js": "dep\n",
        "generated/acme/tsconfig.tsbuildinfo": "{}",
      },
    ],
    [
      "a marker folder of a tenant that no longer exists is removed; a folder without marker stays",
      {
        files: {
          [MARKER]: "# generated\n",
          [`generated/gone/${MARKER_FILE}`]: "# generated\n",
          "generated/gone/src/plan.ts": "plan\n",
          "generated/notes/todo.md": "mine\n",
        },
      },
      output({}),
      [`delete generated/gone/${MARKER_FILE}`, "delete generated/gone/src/plan.ts"],
      {
        "generated/": "",
        "generated/acme/": "",
        [MARKER]: "# generated\n",
        "generated/notes/": "",
        "generated/notes/todo.md": "mine\n",
      },
    ],
    [
      "without pruneStale (one tenant generated) other marker folders stay",
      {
        files: {
          [MARKER]: "# generated\n",
          [`generated/other/${MARKER_FILE}`]: "# generated\n",
        },
      },
      output({}, { pruneStale: false }),
      [],
      {
        "generated/": "",
        "generated/acme/": "",
        [MARKER]: "# generated\n",
        "generated/other/": "",
        [`generated/other/${MARKER_FILE}`]: "# generated\n",
      },
    ],
    [
      "a file the cache kept is neither compared nor deleted",
      {
        files: { [MARKER]: "# generated\n", "generated/acme/src/plan.ts": "as the cache saw it\n" },
      },
      output({}, { kept: new Set(["generated/acme/src/plan.ts"]) }),
      [],
      {
        "generated/": "",
        "generated/acme/": "",
        [MARKER]: "# generated\n",
        "generated/acme/src/": "",
        "generated/acme/src/plan.ts": "as the cache saw it\n",
      },
    ],
  ])("%s", (_name, disk, out, want, after) => {
    const root = given(disk);
    expect(outputProblems(root, out)).toEqual([]);
    expect(listed(write(root, out))).toEqual(want);
    expect(onDisk(root)).toEqual(after);
  });

  it("leaves a file whose text is unchanged untouched (not rewritten)", () => {
    const root = given({
      files: { [MARKER]: "# generated\n", "generated/acme/src/plan.ts": "plan\n" },
    });
    const file = path.join(root, "generated/acme/src/plan.ts");
    const past = new Date("2020-01-02T03:04:05Z");
    utimesSync(file, past, past);
    const before = statSync(file);
    expect(write(root, output({ "generated/acme/src/plan.ts": "plan\n" }))).toEqual([]);
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, past.getTime()]);
  });
});

describe("changes (the --check mode)", () => {
  it("lists what write would do, with both texts, and changes nothing", () => {
    const root = given({
      files: {
        [MARKER]: "# generated\n",
        "generated/acme/README.md": "old\n",
        "generated/acme/stale.ts": "stale\n",
      },
    });
    const before = onDisk(root);
    expect(
      changes(
        root,
        output({ "generated/acme/README.md": "new\n", "generated/acme/new.ts": "n\n" }),
      ),
    ).toEqual([
      { path: "generated/acme/README.md", kind: "change", before: "old\n", after: "new\n" },
      { path: "generated/acme/new.ts", kind: "add", before: "", after: "n\n" },
      { path: "generated/acme/stale.ts", kind: "delete", before: "stale\n", after: "" },
    ]);
    expect(onDisk(root)).toEqual(before);
  });
});

describe("outputProblems: nothing is read or written through a link or onto an odd entry", () => {
  const LINK =
    "is a symbolic link; the generator never follows links in its output (it would read, overwrite or delete what they point at)";
  it.each([
    [
      "generated/ itself a link",
      { links: { generated: "../outside" } },
      output({}),
      [`generated: ${LINK}`],
    ],
    [
      "a link inside a folder the run owns",
      { files: { [MARKER]: "# generated\n" }, links: { "generated/acme/src": "../../../outside" } },
      output({ "generated/acme/src/keep.txt": "overwritten?\n" }),
      [`generated/acme/src: ${LINK}`],
    ],
    [
      "a file of the output that is a link",
      {
        files: { [MARKER]: "# generated\n" },
        links: { "generated/acme/README.md": "../../../outside/keep.txt" },
      },
      output({ "generated/acme/README.md": "readme\n" }),
      [`generated/acme/README.md: ${LINK}`],
    ],
    [
      "a link among the folders the run may prune",
      { files: { [MARKER]: "# generated\n" }, links: { "generated/old": "../../outside" } },
      output({}),
      [`generated/old: ${LINK}`],
    ],
    [
      "a file where a folder goes",
      { files: { [MARKER]: "# generated\n", "generated/acme/src": "not a folder\n" } },
      output({ "generated/acme/src/plan.ts": "plan\n" }),
      ["generated/acme/src: is a file where the generator writes a folder"],
    ],
    [
      "a folder where a file goes",
      { files: { [MARKER]: "# generated\n", "generated/acme/README.md/x": "x\n" } },
      output({ "generated/acme/README.md": "readme\n" }),
      ["generated/acme/README.md: is a folder where the generator writes a file"],
    ],
    [
      "a folder the run would own that it did not generate",
      { files: { "generated/acme/notes.md": "mine\n" } },
      output({}),
      [`generated/acme: exists but was not generated (no ${MARKER_FILE} marker file)`],
    ],
  ])("refuses %s", (_name, disk, out, want) => {
    const root = given(disk);
    const outside = onDisk(path.join(root, "..", "outside"));
    expect(outputProblems(root, out).map((p) => `${p.file}: ${p.message}`)).toEqual(want);
    // The writer refuses on its own too, and what a link points at is never touched.
    expect(() => write(root, out)).toThrow(/the writer was called although the output is unsafe/);
    expect(onDisk(path.join(root, "..", "outside"))).toEqual(outside);
  });

  it("leaves links inside build products alone", () => {
    const root = given({
      files: { [MARKER]: "# generated\n" },
      links: { "generated/acme/node_modules/@etl/runtime": "../../../../../outside" },
    });
    const out = output({});
    expect(outputProblems(root, out)).toEqual([]);
    expect(write(root, out)).toEqual([]);
    expect(onDisk(root)["generated/acme/node_modules/@etl/runtime"]).toBe(
      "-> ../../../../../outside",
    );
  });
});
