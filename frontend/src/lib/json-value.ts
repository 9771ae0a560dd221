// The text of a field that takes any JSON value: JSON (12, true, [1, 2], {"a": 1}, "text") or,
// for convenience, a plain string typed without quotes (`Hello {{ contact.name }}`). Text that
// starts like JSON ({, [ or ") must be JSON; a template's `{{` never is, so it is text.
import type { Json } from "./types";

export interface JsonTextError {
  line: number;
  column: number;
}

/** What a text stands for: a value (undefined for an empty text), or where it stops being JSON. */
export type ParsedJsonText = { value: Json | undefined; error?: undefined } | { error: JsonTextError };

/** Say whether a (trimmed) text must be read as JSON rather than as plain text. */
function startsLikeJson(text: string): boolean {
  return text.startsWith("[") || text.startsWith("\"") || (text.startsWith("{") && !text.startsWith("{{"));
}

/** Return the value a text stands for, or the line and column where its JSON goes wrong. */
export function parseJsonText(text: string): ParsedJsonText {
  const trimmed = text.trim();
  if (!trimmed) return { value: undefined };
  try {
    return { value: JSON.parse(trimmed) as Json };
  } catch {
    if (!startsLikeJson(trimmed)) return { value: text };
    const offset = text.indexOf(trimmed) + jsonErrorOffset(trimmed);
    const before = text.slice(0, offset).split("\n");
    return { error: { line: before.length, column: before[before.length - 1].length + 1 } };
  }
}

/** Return the text a value is shown as: plain text for a string that reads back as itself. */
export function jsonText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") {
    const back = parseJsonText(value);
    return !back.error && back.value === value ? value : JSON.stringify(value);
  }
  if (value && typeof value === "object") return JSON.stringify(value, null, 2);
  return JSON.stringify(value);
}

/**
 * Return the offset of the first character at which `text` stops being one JSON value
 * (its length when the text ends too early). The engines' JSON.parse messages differ and are in
 * English; this small reader finds the place the same way everywhere.
 */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  const fail = (): never => { throw at; };
  const space = () => { while (at < text.length && " \t\n\r".includes(text[at])) at++; };
  const literal = (word: string) => { // a misspelt word is wrong from its start
    if (text.startsWith(word, at)) at += word.length; else fail();
  };
  const digits = () => { const from = at; while (/[0-9]/.test(text[at] ?? "")) at++; if (at === from) fail(); };
  const number = () => {
    if (text[at] === "-") at++;
    if (text[at] === "0") at++; else digits();
    if (text[at] === ".") { at++; digits(); }
    if (text[at] === "e" || text[at] === "E") { at++; if (text[at] === "+" || text[at] === "-") at++; digits(); }
  };
  const string = () => {
    at++; // the opening quote
    for (;;) {
      const char = text[at];
      if (char === undefined || char < " ") fail();
      if (char === "\"") { at++; return; }
      if (char === "\\") {
        at++;
        if (text[at] === "u") { at++; for (let i = 0; i < 4; i++) { if (!/[0-9a-fA-F]/.test(text[at] ?? "")) fail(); at++; } }
        else if ("\"\\/bfnrt".includes(text[at] ?? "x")) at++;
        else fail();
      } else at++;
    }
  };
  const items = (close: string, item: () => void) => {
    at++; // the opening bracket
    space();
    if (text[at] === close) { at++; return; }
    for (;;) {
      item();
      space();
      if (text[at] === close) { at++; return; }
      if (text[at] !== ",") fail();
      at++;
      space();
    }
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === "{") {
      items("}", () => { if (text[at] !== "\"") fail(); string(); space(); if (text[at] !== ":") fail(); at++; value(); });
    } else if (char === "[") items("]", value);
    else if (char === "\"") string();
    else if (char === "t") literal("true");
    else if (char === "f") literal("false");
    else if (char === "n") literal("null");
    else if (char === "-" || /[0-9]/.test(char ?? "")) number();
    else fail();
  };
  try {
    value();
    space();
    return at < text.length ? at : text.length;
  } catch (offset) {
    return offset as number;
  }
}
