// A block's texts in the interface's language: its manifest's translation of that language
// (`i18n.ru`; `ru-RU` falls back to `ru`) where it has one, else the manifest's own text.
// Config fields are named by field path (docs/blocks.md; blocks/translations.py walks them the
// same way): a JSON pointer through the config schema shaped like the config, `/options/items/label`.
import type { BlockManifest, BlockTranslation, FieldTranslation, JsonObject } from "./types";

/** Return the manifest's translation into `language`, or undefined when it has none. */
export function translationOf(manifest: BlockManifest | undefined, language: string): BlockTranslation | undefined {
  const table = manifest?.i18n;
  if (!table) return undefined;
  return table[language] ?? table[language.split("-")[0]];
}

/** Return the block's title, category and description as the palette and panels show them. */
export function blockText(manifest: BlockManifest, language: string): { title: string; category: string; description?: string } {
  const own = translationOf(manifest, language);
  return {
    title: own?.title ?? manifest.title,
    category: own?.category ?? manifest.category,
    description: own?.description ?? manifest.description,
  };
}

/** Return the label of one of a block's exits: its translation, else the exit's name. */
export function exitLabel(manifest: BlockManifest | undefined, exit: string, language: string): string {
  return translationOf(manifest, language)?.exits?.[exit] ?? exit;
}

const ONE_SCHEMA = ["items", "additionalItems", "additionalProperties", "propertyNames", "contains", "not", "if", "then", "else"];
const SCHEMA_LIST = ["items", "oneOf", "anyOf", "allOf"];
const SCHEMA_MAP = ["definitions", "$defs", "patternProperties"];

const isObject = (value: unknown): value is JsonObject => !!value && typeof value === "object" && !Array.isArray(value);

/** Return the subschema a field path names (a property first, then a keyword), or undefined. */
export function fieldSchema(schema: JsonObject, path: string): JsonObject | undefined {
  if (path === "") return schema;
  if (!path.startsWith("/")) return undefined;
  const tokens = path.slice(1).split("/").map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node: unknown = schema;
  while (tokens.length) {
    if (!isObject(node)) return undefined;
    const token = tokens.shift()!;
    const properties = node.properties;
    if (isObject(properties) && Object.hasOwn(properties, token)) node = properties[token];
    else if (SCHEMA_LIST.includes(token) && Array.isArray(node[token])) {
      const index = tokens.shift() ?? "";
      node = /^(0|[1-9][0-9]*)$/.test(index) ? (node[token] as unknown[])[Number(index)] : undefined;
    } else if (ONE_SCHEMA.includes(token)) node = node[token];
    else if (SCHEMA_MAP.includes(token) && isObject(node[token])) {
      const map = node[token] as JsonObject;
      const name = tokens.shift();
      node = name !== undefined && Object.hasOwn(map, name) ? map[name] : undefined;
    } else return undefined;
  }
  return isObject(node) ? node : undefined;
}

/**
 * Return a copy of a config schema with the translated titles and descriptions of `fields`.
 * Only those two annotations change, so the copy validates exactly as the schema does.
 */
export function translateSchema(schema: JsonObject, fields: Record<string, FieldTranslation> | undefined): JsonObject {
  if (!fields) return schema;
  const copy = structuredClone(schema);
  for (const [path, text] of Object.entries(fields)) {
    const node = fieldSchema(copy, path);
    if (!node) continue; // the registry refuses such a manifest; an older server may not
    if (text.title) node.title = text.title;
    if (text.description) node.description = text.description;
  }
  return copy;
}
