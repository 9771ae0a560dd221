// The simulator's variables field, as `simulate --var` reads its values.
import type { JsonObject } from "./types";

/** Read the variables field: JSON, or `name=value` lines (values parsed as JSON when they parse). */
export function parseVars(text: string): JsonObject | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  if (trimmed.startsWith("{")) {
    const parsed = JSON.parse(trimmed);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed;
  }
  const vars: JsonObject = {};
  for (const line of trimmed.split(/\n|,/)) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    if (at < 1) throw new Error(`not name=value: ${line}`);
    const value = line.slice(at + 1).trim();
    try {
      vars[line.slice(0, at).trim()] = JSON.parse(value);
    } catch {
      vars[line.slice(0, at).trim()] = value;
    }
  }
  return vars;
}
