// A block's config schema made ready for its form: hints the widgets read (`x-widget`), the code
// fields (`"x-language": "python"`, every `expr` condition) marked for the code editor, every
// field that takes any JSON value given the list of all types (which is what no `type` means),
// and alternatives of different types (a text or a secret reference) the list of their types.
// Only hints change; what validates is what the manifest's schema validates, as the server has it.
import type { JsonObject } from "./types";

const LONG_TEXT = /(^|_)(text|prompt|body|message|notes|description|html)$/;

/** The mark of a `type` the form gave alternatives of different types. */
export const FORM_TYPE = "x-form-type";

/** Every JSON type: what a field without `type` takes, said so that rjsf keeps the field's schema. */
export const ANY_TYPE = ["string", "number", "integer", "boolean", "object", "array", "null"];

// keywords that make rjsf draw a field of its own (a select, an object, a list...)
const SHAPED = ["type", "$ref", "enum", "const", "oneOf", "anyOf", "allOf", "properties", "additionalProperties",
  "patternProperties", "items", "required"];

const isObject = (value: unknown): value is JsonObject => !!value && typeof value === "object" && !Array.isArray(value);

/** Return a copy of `schema` with widget hints on its string fields, at any depth. */
export function prepareSchema(schema: JsonObject): JsonObject {
  const copy = structuredClone(schema);
  return hint(copy, copy, "", false) as JsonObject;
}

function hint(root: JsonObject, node: unknown, name: string, field: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => hint(root, item, name, field));
  if (!isObject(node)) return node;
  const schema = node;
  if (field && !SHAPED.some((key) => key in schema)) schema.type = [...ANY_TYPE];
  if (!("type" in schema)) {
    const types = alternativeTypes(root, schema);
    if (types && types.length > 1) {
      schema.type = types;
      schema[FORM_TYPE] = true; // its errors say what the alternatives' errors say already
    }
  }
  if (schema.type === "object" && !("properties" in schema) && !("patternProperties" in schema)
      && !("additionalProperties" in schema)) {
    // a map of names to anything (a subflow's inputs): rows of a name and a JSON value
    schema.additionalProperties = { type: [...ANY_TYPE] };
  }
  if (schema.type === "string" && !schema.enum && !schema["x-widget"]) {
    if (schema["x-language"] || name === "expr") {
      schema["x-widget"] = "code";
      schema["x-language"] ??= "python";
    } else if (LONG_TEXT.test(name) || (typeof schema.maxLength === "number" && schema.maxLength > 200)) {
      schema["x-widget"] = "textarea";
    }
  }
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && isObject(value)) {
      for (const [prop, sub] of Object.entries(value)) value[prop] = hint(root, sub, prop, true) as JsonObject;
    } else if ((key === "definitions" || key === "$defs") && isObject(value)) {
      for (const [def, sub] of Object.entries(value)) value[def] = hint(root, sub, def, true) as JsonObject;
    } else if (key === "items" || key === "additionalProperties") {
      schema[key] = hint(root, value, key === "items" ? name : "", true) as JsonObject;
    } else if (["oneOf", "anyOf", "allOf", "then", "else", "not"].includes(key)) {
      schema[key] = hint(root, value, "", false) as JsonObject;
    }
  }
  return schema;
}

/**
 * Return the types a schema's `oneOf`/`anyOf` alternatives take between them (through local
 * `$ref`s and nested alternatives; an alternative with properties is an object), or null when
 * it has none or one of them does not say.
 */
function alternativeTypes(root: JsonObject, schema: JsonObject, depth = 0): string[] | null {
  const options = schema.oneOf ?? schema.anyOf;
  if (!Array.isArray(options) || depth > 10) return null;
  const types = new Set<string>();
  for (const option of options) {
    const resolved = resolve(root, option);
    if (!resolved) return null;
    const own = resolved.type;
    const found = typeof own === "string" ? [own]
      : Array.isArray(own) ? own as string[]
        : "properties" in resolved || "additionalProperties" in resolved ? ["object"]
          : "items" in resolved ? ["array"]
            : alternativeTypes(root, resolved, depth + 1);
    if (!found) return null;
    found.forEach((type) => types.add(type));
  }
  return [...types];
}

/** Say whether a field (its schema as rjsf resolved it) takes any JSON value, or values of several types. */
export function takesAnyValue(schema: JsonObject): boolean {
  const type = schema.type;
  if (Array.isArray(type)) return type.filter((t) => t !== "null").length > 1;
  return type === undefined && !SHAPED.some((key) => key in schema) && Object.keys(schema).length > 0;
}

/**
 * Return the properties of an object of which one is to be given (`oneOf` or `anyOf` alternatives
 * that each only require one of its properties: `transfer`'s target, `say`'s text, response or
 * audio), or null when the object's alternatives are of another kind.
 */
export function propertyChoice(schema: JsonObject): string[] | null {
  const properties = schema.properties;
  const options = schema.oneOf ?? schema.anyOf;
  if (!isObject(properties) || !Array.isArray(options) || options.length < 2 || (schema.oneOf && schema.anyOf)) return null;
  const names = options.map((option) => {
    if (!isObject(option) || !Object.keys(option).every((key) => ["required", "title", "description"].includes(key))) return null;
    const required = option.required;
    return Array.isArray(required) && required.length === 1 && typeof required[0] === "string"
      && Object.hasOwn(properties, required[0]) ? required[0] : null;
  });
  return names.every((name): name is string => name !== null) && new Set(names).size === names.length ? names : null;
}

/** Return the schema of the value at `path` in data the schema describes (local `$ref`s followed), or undefined. */
export function schemaAt(root: JsonObject, path: string[]): JsonObject | undefined {
  let node: JsonObject | undefined = resolve(root, root);
  for (const key of path) {
    node = node && childSchema(root, node, key);
  }
  return node;
}

function resolve(root: JsonObject, schema: unknown, depth = 0): JsonObject | undefined {
  if (!isObject(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#") || depth > 20) return schema;
  let target: unknown = root;
  for (const token of ref.slice(1).split("/").filter(Boolean)) {
    target = isObject(target) ? target[token.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return resolve(root, target, depth + 1);
}

function childSchema(root: JsonObject, schema: JsonObject, key: string): JsonObject | undefined {
  const properties = schema.properties;
  if (isObject(properties) && Object.hasOwn(properties, key)) return resolve(root, properties[key]);
  const items = schema.items;
  if (/^(0|[1-9][0-9]*)$/.test(key) && items !== undefined) {
    return resolve(root, Array.isArray(items) ? items[Number(key)] : items);
  }
  for (const keyword of ["oneOf", "anyOf", "allOf"]) {
    const options = schema[keyword];
    if (!Array.isArray(options)) continue;
    for (const option of options) {
      const resolved = resolve(root, option);
      const found = resolved && childSchema(root, resolved, key);
      if (found) return found;
    }
  }
  return isObject(schema.additionalProperties) ? resolve(root, schema.additionalProperties) : undefined;
}

/** Say whether the value at `path` of a prepared schema's data is code (a script, an `expr` condition). */
export function isCodeField(prepared: JsonObject, path: string[]): boolean {
  return schemaAt(prepared, path)?.["x-widget"] === "code";
}
