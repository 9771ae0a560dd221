// A block's config schema made ready for its form: hints the widgets read (`x-widget`), and the
// code fields (`"x-language": "python"`, every `expr` condition) marked for the code editor.
// Only the hints change; what validates is the manifest's schema as the server has it.
import type { JsonObject } from "./types";

const LONG_TEXT = /(^|_)(text|prompt|body|message|notes|description|html)$/;

/** Return a copy of `schema` with widget hints on its string fields, at any depth. */
export function prepareSchema(schema: JsonObject): JsonObject {
  return hint(structuredClone(schema), "") as JsonObject;
}

function hint(node: unknown, name: string): unknown {
  if (Array.isArray(node)) return node.map((item) => hint(item, name));
  if (!node || typeof node !== "object") return node;
  const schema = node as JsonObject;
  if (schema.type === "string" && !schema.enum && !schema["x-widget"]) {
    if (schema["x-language"] || name === "expr") {
      schema["x-widget"] = "code";
      schema["x-language"] ??= "python";
    } else if (LONG_TEXT.test(name) || (typeof schema.maxLength === "number" && schema.maxLength > 200)) {
      schema["x-widget"] = "textarea";
    }
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && value && typeof value === "object" && !Array.isArray(value)) {
      for (const [prop, sub] of Object.entries(value)) (value as JsonObject)[prop] = hint(sub, prop) as JsonObject;
    } else if (key === "definitions" || key === "$defs") {
      for (const [def, sub] of Object.entries(value as JsonObject)) (value as JsonObject)[def] = hint(sub, def) as JsonObject;
    } else if (["items", "oneOf", "anyOf", "allOf", "then", "else", "additionalProperties", "not"].includes(key)) {
      schema[key] = hint(value, key === "items" ? name : "") as JsonObject;
    }
  }
  return schema;
}
