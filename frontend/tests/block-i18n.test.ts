// A block's texts in the interface's language: the manifest's translation, else its own text;
// the translated form schema validates exactly as the manifest's own.
import { describe, expect, it } from "vitest";
import { blockText, exitLabel, fieldSchema, translateSchema, translationOf } from "../src/lib/block-i18n";
import { Catalog } from "../src/lib/catalog";
import { prepareSchema } from "../src/lib/form-schema";
import type { BlockManifest, Json, JsonObject } from "../src/lib/types";
import { formValidator } from "../src/lib/validator";
import { catalog, manifests } from "./fixtures";

const THING: BlockManifest = {
  type: "acme.thing", version: "1.0.0", title: "Thing", category: "Logic", description: "Does a thing.",
  config_schema: { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { n: { type: "integer", title: "N" } } },
  exits: ["next", "done"],
  i18n: { ru: { title: "Штука", fields: { "/n": { title: "Число" } }, exits: { next: "далее" } }, "pt-BR": { title: "Coisa" } },
};

// the same schema and answers as tests/blocks/test_translations.py: both sides walk paths alike
const SCHEMA: JsonObject = {
  type: "object", title: "Thing",
  properties: {
    timeout_s: { type: "number", title: "Timeout" },
    options: { type: "array", items: { type: "object", title: "Option", properties: { label: { type: "string", title: "Label" } } } },
    range: { type: "array", items: [{ type: "string", title: "Opens" }, { type: "string", title: "Closes" }] },
    values: { type: "object", additionalProperties: { title: "Value" } },
    token: { oneOf: [{ type: "string", title: "Token" }, { type: "object", title: "Secret", properties: { $secret: { type: "string", title: "Name" } } }] },
    "a/b~c": { type: "string", title: "Odd name" },
    box: { type: "object", properties: { items: { type: "string", title: "Items" } } },
    when: { $ref: "#/definitions/condition" },
  },
  definitions: { condition: { type: "object", title: "Condition", properties: { var: { type: "string", title: "Variable" } } } },
};

/** Return a schema without its titles and descriptions: what ajv checks. */
function rules(node: Json): Json {
  if (Array.isArray(node)) return node.map(rules);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node)
    .filter(([key, value]) => !((key === "title" || key === "description") && typeof value === "string"))
    .map(([key, value]) => [key, key === "properties" || key === "definitions"
      ? Object.fromEntries(Object.entries(value as JsonObject).map(([name, sub]) => [name, rules(sub)]))
      : rules(value)]));
}

describe("translationOf and blockText", () => {
  it("take the interface language's translation, a regional language its base language's", () => {
    expect(translationOf(THING, "ru")?.title).toBe("Штука");
    expect(translationOf(THING, "ru-RU")?.title).toBe("Штука");
    expect(translationOf(THING, "pt-BR")?.title).toBe("Coisa");
    expect(translationOf(THING, "en")).toBeUndefined();
    expect(translationOf({ ...THING, i18n: undefined }, "ru")).toBeUndefined();
  });

  it("show the manifest's own text for whatever a translation leaves out", () => {
    expect(blockText(THING, "ru")).toEqual({ title: "Штука", category: "Logic", description: "Does a thing." });
    expect(blockText(THING, "en")).toEqual({ title: "Thing", category: "Logic", description: "Does a thing." });
  });

  it("label an exit by its translation, else by its name", () => {
    expect(exitLabel(THING, "next", "ru")).toBe("далее");
    expect(exitLabel(THING, "done", "ru")).toBe("done");
    expect(exitLabel(THING, "next", "en")).toBe("next");
    expect(exitLabel(undefined, "next", "ru")).toBe("next");
  });
});

describe("fieldSchema", () => {
  it.each([
    ["", "Thing"], ["/timeout_s", "Timeout"], ["/options/items", "Option"], ["/options/items/label", "Label"],
    ["/range/items/1", "Closes"], ["/values/additionalProperties", "Value"], ["/token/oneOf/1", "Secret"],
    ["/token/oneOf/1/$secret", "Name"], ["/a~1b~0c", "Odd name"], ["/box/items", "Items"],
    ["/definitions/condition/var", "Variable"],
  ])("finds %j", (path, title) => {
    expect(fieldSchema(SCHEMA, path)?.title).toBe(title);
  });

  it.each([
    "timeout_s", "/nope", "/properties/timeout_s", "/timeout_s/title", "/options/label", "/range/items/2",
    "/range/items/01", "/range/items/-1", "/token/oneOf", "/token/oneOf/x", "/definitions", "/definitions/nope",
    "/when/var", "/a/b~c", "/timeout_s/constructor", "/definitions/toString",
  ])("finds nothing at %j", (path) => {
    expect(fieldSchema(SCHEMA, path)).toBeUndefined();
  });
});

describe("translateSchema", () => {
  const russian = manifests().filter((manifest) => translationOf(manifest, "ru"));

  it("covers every built-in block and the example partner's", () => {
    expect(new Set(russian.map((m) => m.type))).toEqual(new Set(manifests().map((m) => m.type)));
  });

  it("puts the translated titles and descriptions in a copy, at every field path", () => {
    const menu = catalog().find("menu")!;
    const schema = translateSchema(prepareSchema(menu.config_schema), translationOf(menu, "ru")!.fields);
    expect(fieldSchema(schema, "/options/items/label")).toMatchObject({ title: "Название", type: "string" });
    expect(fieldSchema(schema, "")?.title).toBe("Меню");
    expect(fieldSchema(menu.config_schema, "/options/items/label")?.title).toBe("Label");
    const branch = catalog().find("branch")!;
    const conditions = translateSchema(branch.config_schema, translationOf(branch, "ru")!.fields);
    expect(fieldSchema(conditions, "/definitions/comparison/op")?.title).toBe("Оператор");
    for (const manifest of russian) {
      for (const path of Object.keys(translationOf(manifest, "ru")!.fields ?? {})) {
        expect(fieldSchema(manifest.config_schema, path), `${manifest.type} ${path}`).toBeDefined();
      }
    }
  });

  it("changes nothing ajv checks: the same configs fail in the same places", () => {
    const samples: Record<string, JsonObject[]> = {
      menu: [{ prompt: "Hi", options: [{ key: "1", exit: "failed" }] }, { prompt: "Hi", options: [{ key: "", label: "", exit: "a" }] }, {}],
      ask: [{ variable: "x" }, { variable: "vars.x", timeout_s: 0 }],
      branch: [{ rules: [{ when: { var: "vars.a", op: "in", value: 3 }, exit: "x" }] }, { rules: [{ when: { all: [] }, exit: "x" }] }],
      hours: [{ timezone: "UTC", weekly: { mon: [["09:00", "25:00"]] } }],
      transfer: [{ target: { number: "1", queue: "q" } }],
    };
    for (const manifest of russian) {
      const own = prepareSchema(manifest.config_schema);
      const translated = translateSchema(own, translationOf(manifest, "ru")!.fields);
      expect(rules(translated), manifest.type).toEqual(rules(own));
      for (const config of samples[manifest.type] ?? []) { // each one breaks a rule or two
        const where = (schema: JsonObject) => (formValidator("ru").rawValidation(schema, config).errors ?? [])
          .map((error) => `${error.instancePath} ${error.keyword}`).sort();
        expect(where(translated), `${manifest.type} ${JSON.stringify(config)}`).toEqual(where(own));
        expect(where(own).length, `${manifest.type} ${JSON.stringify(config)}`).toBeGreaterThan(0);
      }
    }
  });
});

describe("the palette's groups", () => {
  it("are headed and titled in Russian, in Russian alphabetical order", () => {
    const groups = catalog().byCategory("", "ru");
    expect(groups.map((g) => g.heading)).toEqual(["Время", "Диалог", "Интеграции", "Логика", "Маршрутизация", "Сообщения", "Acme"]);
    const dialogue = groups.find((g) => g.category === "Prompts")!;
    expect(dialogue.blocks.map((b) => b.title)).toEqual(["Бот", "Запись", "Запрос", "Меню", "Сказать"]);
    expect(dialogue.blocks[3].description).toMatch(/^Предлагает варианты/);
  });

  it("stay in English in English", () => {
    const groups = catalog().byCategory("", "en");
    expect(groups.map((g) => g.heading)).toEqual(["Acme", "Integration", "Logic", "Messaging", "Prompts", "Routing", "Time"]);
    expect(groups.find((g) => g.category === "Prompts")!.blocks.map((b) => b.title)).toEqual(["Ask", "Bot", "Menu", "Record", "Say"]);
  });

  it("find blocks by their Russian texts, their own texts or their type", () => {
    const found = (query: string) => catalog().byCategory(query, "ru").flatMap((g) => g.blocks.map((b) => b.manifest.type));
    expect(found("меню")).toContain("menu");
    expect(found("МЕНЮ")).toContain("menu");
    expect(found("оператор")).toContain("transfer");
    expect(found("Menu")).toContain("menu");
    expect(found("диалог").sort()).toEqual(["ask", "bot", "menu", "record", "say"]);
    expect(found("acme.crm")).toEqual(["acme.crm_lookup"]);
    expect(found("нет такого блока")).toEqual([]);
  });

  it("put a block without a translation under its category's translated heading, with its own title", () => {
    const groups = new Catalog([...manifests(), { ...THING, i18n: undefined }]).byCategory("", "ru");
    const logic = groups.find((g) => g.category === "Logic")!;
    expect(logic.heading).toBe("Логика");
    expect(logic.blocks.map((b) => b.title)).toContain("Thing");
    expect(groups.filter((g) => g.heading === "Logic")).toEqual([]);
  });
});
