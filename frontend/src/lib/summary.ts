// The short line a block node shows under its title, drawn from any block's config: the first
// telling text field, then the keys or exits of its lists, each named by its key or as the caller
// names it (the node: by its title in the interface's language). Works for partners' blocks too.
import type { Json, JsonObject } from "./types";

const TEXT_FIELDS = ["text", "prompt", "url", "flow", "queue", "bot", "target", "to", "response",
  "audio", "disposition", "timezone", "variable", "code"];
const MAX = 90;

/** Names a field in the summary: its field path (`/options`, `/target/queue`) and its key. */
export type FieldName = (path: string, key: string) => string;

const byKey: FieldName = (_path, key) => key;

/** Return a one-line summary of a block's config, naming fields by `name` (their keys by default). */
export function summarize(config: JsonObject | undefined, name: FieldName = byKey): string {
  if (!config) return "";
  const parts: string[] = [];
  const text = firstText(config, name);
  if (text) parts.push(text);
  for (const [key, value] of Object.entries(config)) {
    if (Array.isArray(value) && value.length > 0) {
      const names = value.map(itemName).filter(Boolean);
      if (names.length) parts.push(`${name(`/${pointerToken(key)}`, key)}: ${names.join(", ")}`);
    }
  }
  return clip(parts.join(" · "));
}

function pointerToken(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function firstText(config: JsonObject, name: FieldName): string {
  for (const key of TEXT_FIELDS) {
    const shown = show(config[key], `/${key}`, name);
    if (shown) return shown;
  }
  for (const value of Object.values(config)) {
    if (typeof value === "string" && value.trim()) return value;
  }
  return "";
}

function show(value: Json | undefined, path: string, name: FieldName): string {
  if (typeof value === "string") return value.trim();
  if (value && typeof value === "object" && !Array.isArray(value)) {
    if (typeof value.$secret === "string") return `$secret ${value.$secret}`;
    for (const inner of ["number", "uri", "queue", "agent"]) {
      if (typeof value[inner] === "string") return `${name(`${path}/${inner}`, inner)}: ${value[inner]}`;
    }
  }
  return "";
}

function itemName(item: Json): string {
  if (typeof item === "string") return item;
  if (item && typeof item === "object" && !Array.isArray(item)) {
    const key = item.key ?? item.exit;
    const label = item.label;
    if (typeof key === "string" && typeof label === "string") return `${key} ${label}`;
    if (typeof key === "string") return key;
    if (typeof item.percent === "number" && typeof item.exit === "string") return `${item.exit} ${item.percent}%`;
  }
  return "";
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX ? `${line.slice(0, MAX - 1)}…` : line;
}
