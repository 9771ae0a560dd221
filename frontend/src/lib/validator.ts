// The one ajv (draft-07, like the server's jsonschema for config schemas) behind every form.
// A `{"$secret": NAME}` stands for any config value (DESIGN.md): the server accepts it wherever a
// value may stand, so errors about such a value are dropped here too; an object of which one
// property is given is told in the interface's words.
import { customizeValidator } from "@rjsf/validator-ajv8";
import type { RJSFValidationError, ValidatorType } from "@rjsf/utils";
import localizeRu from "ajv-i18n/localize/ru";
import { FORM_TYPE, propertyChoice } from "./form-schema";
import type { JsonObject } from "./types";

type Localizer = Parameters<typeof customizeValidator>[1];
const validators = new Map<string, ValidatorType>();

/** Return the form validator whose messages are in `language` (English or Russian). */
export function formValidator(language = "en"): ValidatorType {
  const key = language.startsWith("ru") ? "ru" : "en";
  let validator = validators.get(key);
  if (!validator) {
    validator = customizeValidator({}, key === "ru" ? (localizeRu as Localizer) : undefined);
    validators.set(key, validator);
  }
  return validator;
}

/** Say whether a value is a secret reference. */
export function isSecret(value: unknown): value is { $secret: string } {
  return !!value && typeof value === "object" && !Array.isArray(value)
    && Object.keys(value).length === 1 && typeof (value as { $secret?: unknown }).$secret === "string";
}

/** Drop the errors about values that are secret references (or lie inside one's alternatives). */
export function withoutSecretErrors(errors: RJSFValidationError[], formData: unknown): RJSFValidationError[] {
  const secretPaths: string[] = [];
  walk(formData, "", (path, value) => { if (isSecret(value)) secretPaths.push(path); });
  if (!secretPaths.length) return errors;
  return errors.filter((error) => {
    const path = instancePath(error);
    return !secretPaths.some((secret) => path === secret || path.startsWith(`${secret}/`) || (error.name === "oneOf" || error.name === "anyOf") && secret.startsWith(path));
  });
}

function instancePath(error: RJSFValidationError): string {
  // rjsf's `property` is ".a.0.b" (or "['a b']"); turn it into a pointer-like path
  const property = error.property ?? "";
  return property.replace(/\[['"]?([^\]'"]+)['"]?\]/g, ".$1").split(".").filter(Boolean).map((p) => `/${p}`).join("");
}

function walk(value: unknown, path: string, visit: (path: string, value: unknown) => void): void {
  visit(path, value);
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}/${i}`, visit));
  else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) walk(item, `${path}/${key}`, visit);
  }
}

/**
 * Say what an object of which one property is given lacks, in the interface's words ("Fill in
 * exactly one of: Text, Response or Audio prompt" for `say`), instead of ajv's "must match exactly
 * one schema in oneOf"; and drop the errors of each alternative ("must have required property
 * 'text'", then 'response', then 'audio'), which would mark every one of the fields, and those
 * of the type the form gave alternatives of different types (see form-schema.ts).
 */
export function choiceErrors(errors: RJSFValidationError[], schema: JsonObject,
                             describe: (titles: string[], exactly: boolean) => string): RJSFValidationError[] {
  const choiceAt = (path: string) => {
    const node = pointed(schema, path);
    const names = node && propertyChoice(node);
    if (!node || !names) return null;
    const properties = node.properties as JsonObject;
    return names.map((name) => {
      const title = (properties[name] as JsonObject | undefined)?.title;
      return typeof title === "string" ? title : name;
    });
  };
  const result: RJSFValidationError[] = [];
  for (const error of errors) {
    const path = error.schemaPath ?? "";
    // the type the form gave alternatives fails where they fail, and they say why
    if (error.name === "type" && pointed(schema, path.replace(/\/type$/, ""))?.[FORM_TYPE]) continue;
    const alternative = /^(.*)\/(oneOf|anyOf)\/\d+\//.exec(path);
    if (alternative && choiceAt(alternative[1])) continue;
    const whole = /^(.*)\/(oneOf|anyOf)$/.exec(path);
    const titles = whole ? choiceAt(whole[1]) : null;
    if (!titles) {
      result.push(error);
      continue;
    }
    const message = describe(titles, whole![2] === "oneOf");
    result.push({ ...error, message, stack: message });
  }
  return result;
}

/** Return the subschema a schema path (`#/properties/target`) names, or undefined. */
function pointed(schema: JsonObject, path: string): JsonObject | undefined {
  let node: unknown = schema;
  for (const token of path.replace(/^#/, "").split("/").filter(Boolean)) {
    const key = decodeURIComponent(token).replace(/~1/g, "/").replace(/~0/g, "~");
    node = node && typeof node === "object" ? (node as JsonObject)[key] : undefined;
  }
  return node && typeof node === "object" && !Array.isArray(node) ? node as JsonObject : undefined;
}
