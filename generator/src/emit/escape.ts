/**
 * Escaping of user-chosen text for each format a generated file is written in. The model step
 * refuses most hostile text outright (names, paths, line breaks); these functions make what remains
 * land as text, never as structure: no value can end a comment, a table cell, a code span or a
 * Mermaid label, or start a new line.
 */
import { showText } from "../text.js";

/** One line of a `//` or `#` comment: line breaks and control characters written as escapes. */
export function commentLine(text: string): string {
  return showText(text);
}

/** Text inside an HTML comment (`<!-- -->`, the Markdown header): it cannot close the comment. */
export function htmlCommentLine(text: string): string {
  return showText(text).replace(/--!?>/g, "--&gt;");
}

/** Markdown punctuation that could start emphasis, code, a link, HTML or a table cell. */
const MD_SPECIAL = /[\\`*_[\]<>|~&]/g;

/** Markdown inline text (a heading, a table cell): shown exactly, as text. */
export function mdText(text: string): string {
  return showText(text).replace(MD_SPECIAL, (c) => `\\${c}`);
}

/**
 * A Markdown code span (inside a table cell): fenced by more backticks than the text holds in a
 * row, padded when the text starts or ends with one, `|` escaped (GFM splits cells on it even
 * inside code spans).
 */
export function mdCode(text: string): string {
  const shown = showText(text);
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = shown.startsWith("`") || shown.endsWith("`") ? " " : "";
  return `${fence}${pad}${shown.replace(/\|/g, "\\|")}${pad}${fence}`;
}

/**
 * The text of a Mermaid node label (`id["label"]`): every character but letters, digits and
 * `_ . / = : -` and space written as a Mermaid entity code (`#34;`), so it can close neither the
 * label nor the fenced block.
 */
export function mermaidLabel(text: string): string {
  return [...showText(text)]
    .map((c) => (/^[A-Za-z0-9_./=: -]$/.test(c) ? c : `#${c.codePointAt(0)};`))
    .join("");
}
