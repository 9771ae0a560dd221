// The one ajv (draft-07, like the server's jsonschema for config schemas) behind every form.
// A `{"$secret": NAME}` stands for any config value (DESIGN.md): the server accepts it wherever a
// value may stand, so errors about such a value are dropped here too.
import { customizeValidator } from "@rjsf/validator-ajv8";
import type { RJSFValidationError, ValidatorType } from "@rjsf/utils";
import localizeRu from "ajv-i18n/localize/ru";

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
