import { describe, expect, it } from "vitest";
import { summarize } from "../src/lib/summary";
import { parseVars } from "../src/lib/vars";
import { prepareSchema } from "../src/lib/form-schema";
import { catalog } from "./fixtures";

describe("summarize", () => {
  it("shows the first telling text and the keys of lists", () => {
    expect(summarize({ prompt: "Press 1", options: [{ key: "1", label: "Balance", exit: "b" }, { key: "0", exit: "a" }] }))
      .toBe("Press 1 · options: 1 Balance, 0");
    expect(summarize({ text: "Hello" })).toBe("Hello");
    expect(summarize(undefined)).toBe("");
  });

  it("shows a secret as a reference and a transfer target by kind", () => {
    expect(summarize({ url: { $secret: "CRM_URL" } })).toBe("$secret CRM_URL");
    expect(summarize({ target: { queue: "support" } })).toBe("queue: support");
  });

  it("names fields as it is told to, such as by their titles in the interface's language", () => {
    const russian = (path: string, key: string) => ({ "/options": "Варианты", "/target/queue": "Очередь" })[path] ?? key;
    expect(summarize({ prompt: "Нажмите 1", options: [{ key: "1", label: "Баланс", exit: "b" }] }, russian))
      .toBe("Нажмите 1 · Варианты: 1 Баланс");
    expect(summarize({ target: { queue: "support" } }, russian)).toBe("Очередь: support");
    expect(summarize({ target: { agent: "anna" } }, russian)).toBe("agent: anna");
  });

  it("clips long texts to one short line", () => {
    const line = summarize({ text: "word ".repeat(100) });
    expect(line.length).toBeLessThanOrEqual(90);
    expect(line.endsWith("…")).toBe(true);
  });
});

describe("parseVars", () => {
  it("reads JSON objects and name=value lines, values as JSON when they parse", () => {
    expect(parseVars('{"a": 1}')).toEqual({ a: 1 });
    expect(parseVars("tier=gold\nbalance=150\nflag=true")).toEqual({ tier: "gold", balance: 150, flag: true });
    expect(parseVars("  ")).toBeUndefined();
    expect(() => parseVars("[1]")).toThrow();
    expect(() => parseVars("novalue")).toThrow();
  });
});

describe("prepareSchema", () => {
  it("marks code fields and expr conditions for the code editor, long texts as text areas", () => {
    const cat = catalog();
    const script = prepareSchema(cat.find("script")!.config_schema) as any;
    expect(script.properties.code["x-widget"]).toBe("code");
    const branch = prepareSchema(cat.find("branch")!.config_schema) as any;
    expect(branch.definitions.expr.properties.expr["x-widget"]).toBe("code");
    expect(branch.definitions.expr.properties.expr["x-language"]).toBe("python");
    const menu = prepareSchema(cat.find("menu")!.config_schema) as any;
    expect(menu.properties.prompt["x-widget"]).toBe("textarea");
    expect(menu.properties.options.items.properties.key["x-widget"]).toBeUndefined();
  });

  it("leaves the manifest's own schema untouched", () => {
    const cat = catalog();
    const schema = cat.find("menu")!.config_schema as any;
    prepareSchema(schema);
    expect(schema.properties.prompt["x-widget"]).toBeUndefined();
  });
});
