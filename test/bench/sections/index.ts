/**
 * The bench's sections, in the order `npm run bench` runs them. A new section is a module in this
 * folder (see ../lib/section.ts) and one line here.
 */
import type { Section } from "../lib/section.js";
import { backfillSection } from "./backfill.js";
import { consoleSection } from "./console.js";
import { extractSection } from "./extract.js";
import { generateSection } from "./generate.js";
import { generateIncrementalSection } from "./generate-incremental.js";
import { loadSection } from "./load.js";
import { loadSmallSection } from "./load-small.js";
import { memorySection } from "./memory.js";
import { parallelSection } from "./parallel.js";

export const SECTIONS: readonly Section[] = [
  extractSection,
  parallelSection,
  memorySection,
  generateSection,
  generateIncrementalSection,
  loadSection,
  loadSmallSection,
  backfillSection,
  consoleSection,
];
