// What a block's form reads from its config schema: fields of any JSON value, a choice of one
// property, code fields; and the form schema still validates as the manifest's own.
import { describe, expect, it } from "vitest";
import { ANY_TYPE, FORM_TYPE, isCodeField, prepareSchema, propertyChoice, schemaAt, takesAnyValue } from "../src/lib/form-schema";
import { codeLine } from "../src/lib/problems";
import type { Json, JsonObject } from "../src/lib/types";
import { formValidator } from "../src/lib/validator";
import { catalog, manifests } from "./fixtures";

const prepared = (type: string) => prepareSchema(catalog().find(type)!.config_schema);

describe("fields of any JSON value", () => {
  it("get every type where the manifest names none, a free map rows of them", () => {
    expect(schemaAt(prepared("http"), ["json"])).toMatchObject({ title: "JSON body", type: ANY_TYPE });
    expect(schemaAt(prepared("set"), ["values", "vars.a"])).toMatchObject({ title: "Value", type: ANY_TYPE });
    expect(schemaAt(prepared("branch"), ["rules", "0", "when", "value"])).toMatchObject({ title: "Value", type: ANY_TYPE });
    expect(schemaAt(prepared("subflow"), ["inputs", "account"])).toEqual({ type: ANY_TYPE });
    expect(schemaAt(prepared("http"), ["method"])).not.toHaveProperty("type"); // an enum is a select
    expect(schemaAt(prepared("say"), ["text"])).toMatchObject({ type: "string" });
  });

  it("get the types of alternatives of different types: a text or a secret reference, a number", () => {
    const http = prepared("http");
    expect(schemaAt(http, ["headers", "X-Key"])!.type).toEqual(["string", "object"]);
    expect(schemaAt(http, ["query", "page"])!.type).toEqual(["string", "object", "number", "boolean"]);
    expect(schemaAt(prepareSchema(catalog().find("acme.crm_lookup")!.config_schema), ["token"])!.type).toEqual(["string", "object"]);
    expect(schemaAt(prepared("branch"), ["rules", "0", "when"])).not.toHaveProperty("type"); // every one an object
  });

  it.each([
    [{ title: "Any" }, true], [{ type: ["number", "boolean"] }, true], [{ type: ANY_TYPE }, true],
    [{ type: ["string", "null"] }, false], [{ type: "string" }, false], [{ enum: ["a"] }, false],
    [{ oneOf: [{ type: "string" }] }, false], [{ properties: {} }, false], [{}, false],
  ])("%j takes any value: %s", (schema, any) => {
    expect(takesAnyValue(schema as JsonObject)).toBe(any);
  });

  it("validate the same configs the same way as the manifest's schemas", () => {
    const samples: Json[] = [null, 1, "x", [1], { a: 1 }, true];
    for (const manifest of manifests()) {
      const own = manifest.config_schema;
      const form = prepareSchema(own);
      for (const value of samples) {
        for (const config of [{ json: value, url: "https://x" }, { url: "https://x", headers: { a: value }, query: { b: value } },
          { base_url: "https://x", token: value }, { base_url: "https://x", token: { $secret: value } }, { values: { "vars.a": value } }, { inputs: { a: value }, flow: "f" },
          { rules: [{ when: { var: "vars.a", op: "==", value }, exit: "x" }] }, { code: "pass", input: value }]) {
          // the type given alternatives of different types fails where they fail
          const errors = (schema: JsonObject) => (formValidator().rawValidation(schema, config).errors ?? [])
            .filter((error) => !(error.keyword === "type" && (error.parentSchema as JsonObject | undefined)?.[FORM_TYPE]))
            .map((error) => `${error.instancePath} ${error.keyword}`).sort();
          expect(errors(form), `${manifest.type} ${JSON.stringify(config)}`).toEqual(errors(own));
        }
      }
    }
  });
});

describe("propertyChoice", () => {
  it("finds the objects of which one property is given", () => {
    expect(propertyChoice(prepared("say"))).toEqual(["text", "response", "audio"]);
    expect(propertyChoice(prepared("send"))).toEqual(["text", "response"]);
    expect(propertyChoice(schemaAt(prepared("transfer"), ["target"])!)).toEqual(["number", "uri", "queue", "agent"]);
  });

  it("leaves other alternatives to rjsf's select", () => {
    expect(propertyChoice(schemaAt(prepared("branch"), ["rules", "0", "when"])!)).toBeNull();
    expect(propertyChoice({ properties: { a: {}, b: {} }, oneOf: [{ required: ["a", "b"] }, { required: ["b"] }] })).toBeNull();
    expect(propertyChoice({ properties: { a: {} }, oneOf: [{ required: ["a"] }, { required: ["c"] }] })).toBeNull();
    expect(propertyChoice({ properties: { a: {}, b: {} }, oneOf: [{ required: ["a"], properties: { a: { type: "string" } } }, { required: ["b"] }] })).toBeNull();
  });
});

describe("code fields and their lines", () => {
  it("are the script's code and every expr condition, at any depth", () => {
    expect(isCodeField(prepared("script"), ["code"])).toBe(true);
    expect(isCodeField(prepared("branch"), ["rules", "3", "when", "all", "0", "not", "expr"])).toBe(true);
    expect(isCodeField(prepared("script"), ["input"])).toBe(false);
    expect(isCodeField(prepared("menu"), ["options", "0", "label"])).toBe(false);
    expect(isCodeField(prepared("menu"), ["nope", "deeper"])).toBe(false);
  });

  it("read the code's line from the server's message", () => {
    const problem = { severity: "error" as const, pointer: "/blocks/s/config/code", message: "line 12: invalid syntax", line: 1 };
    expect(codeLine(problem)).toEqual({ line: 12, message: "invalid syntax" });
    expect(codeLine({ ...problem, message: "must be a string" })).toBeNull();
  });
});
