// Which exits a block has: the manifest's fixed exits, the ones its config derives
// (`exits_from`: menu options, branch rules, split branches, script exits) and `error`.
import type { Block, BlockManifest, Json, JsonObject } from "./types";

export const ERROR_EXIT = "error";

/** Return the exit names derived from `config` by the manifest's `exits_from`, in config order. */
export function derivedExits(manifest: BlockManifest, config: JsonObject | undefined): string[] {
  const names: string[] = [];
  for (const source of manifest.exits_from ?? []) {
    const list = config?.[source.list];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const name = exitName(item, source.field);
      if (name) names.push(name);
    }
  }
  return names;
}

function exitName(item: Json, field: string | undefined): string | null {
  if (field === undefined) return typeof item === "string" && item ? item : null;
  if (item && typeof item === "object" && !Array.isArray(item)) {
    const value = item[field];
    return typeof value === "string" && value ? value : null;
  }
  return null;
}

/**
 * Return every exit of a block, without duplicates: fixed, derived, then `error`. A `bot` block
 * (its manifest's `intent_exits` names the config field of its bot) gets one exit per intent
 * of that bot without a response (`bots`: the live bots' intent exits, by id); auto-response
 * intents share `answered`. While its bot is not known (not live, not loaded) it keeps the
 * exits the document gives it, so that no connection is dropped.
 */
export function exitsOf(manifest: BlockManifest | undefined, block: Pick<Block, "config" | "exits">,
  bots?: ReadonlyMap<string, string[]>): string[] {
  const names = manifest
    ? [...manifest.exits, ...derivedExits(manifest, block.config), ...(manifest.intent_exits ? intentsOf(manifest.intent_exits, block, bots) : [])]
    : Object.keys(block.exits ?? {}); // an unknown type: what the document says it has
  return unique([...names, ERROR_EXIT]);
}

function intentsOf(field: string, block: Pick<Block, "config" | "exits">, bots?: ReadonlyMap<string, string[]>): string[] {
  const botId = block.config?.[field];
  const known = typeof botId === "string" ? bots?.get(botId) : undefined;
  return known ?? Object.keys(block.exits ?? {});
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

/**
 * Say how the derived exits changed between two configs, position by position: an option whose
 * exit was renamed keeps its connection under the new name.
 */
export function renamedExits(manifest: BlockManifest, before: JsonObject, after: JsonObject): Map<string, string> {
  const renames = new Map<string, string>();
  for (const source of manifest.exits_from ?? []) {
    const was = listOf(before, source.list);
    const now = listOf(after, source.list);
    if (was.length !== now.length) continue; // an item added or removed: no renaming by position
    const nowNames = new Set(now.map((item) => exitName(item, source.field)));
    was.forEach((item, index) => {
      const old = exitName(item, source.field);
      const fresh = exitName(now[index], source.field);
      if (old && fresh && old !== fresh && !nowNames.has(old)) renames.set(old, fresh);
    });
  }
  return renames;
}

function listOf(config: JsonObject, list: string): Json[] {
  const value = config?.[list];
  return Array.isArray(value) ? value : [];
}
