// @vitest-environment jsdom
// A block's form as an analyst meets it: fields that take any JSON value, the form's own errors,
// the server's problems on their fields, a choice of one property, labels and keyboard.
import { fireEvent } from "@testing-library/react";
import { afterAll, describe, expect, it } from "vitest";
import i18n from "../src/i18n";
import type { BlockManifest, JsonObject, Problem } from "../src/lib/types";
import { manifests } from "./fixtures";
import { renderForm, settle, textOf } from "./form-harness";

afterAll(() => i18n.changeLanguage("en"));

const type = (form: HTMLElement, selector: string, text: string) => {
  const field = form.querySelector<HTMLTextAreaElement | HTMLInputElement | HTMLSelectElement>(selector);
  if (!field) throw new Error(`no ${selector}`);
  fireEvent.change(field, { target: { value: text } });
};

/** A config of each block that fills its fields, the ones of any JSON value among them. */
const SAMPLES: Record<string, JsonObject> = {
  http: { url: "https://crm.example.com/api", json: { account: "{{ vars.account }}" }, headers: { "X-Key": "k" } },
  set: { values: { "vars.count": 1, "vars.name": "Hello {{ contact.name }}", "vars.list": [1, 2] } },
  branch: { rules: [{ when: { var: "vars.n", op: "==", value: 3 }, exit: "high" }, { when: { expr: "vars['n'] > 1" }, exit: "low" }] },
  subflow: { flow: "verify", inputs: { account: "{{ vars.account }}", tries: 3 }, outputs: { "vars.ok": "ok" } },
  script: { code: "vars['x'] = 1", input: { a: 1 } },
  menu: { prompt: "Press 1", options: [{ key: "1", label: "Sales", exit: "sales", synonyms: ["buy"] }] },
  hours: { timezone: "UTC", weekly: { mon: [["09:00", "17:00"]] }, holidays: ["2025-12-25"] },
  transfer: { target: { queue: "support" } },
  say: { text: "Hello" },
};

describe("a field that takes any JSON value", () => {
  it("is a JSON field in every block that has one, never rjsf's 'Unsupported field schema'", async () => {
    const found: string[] = [];
    for (const manifest of manifests()) {
      const { form } = await renderForm(manifest, SAMPLES[manifest.type] ?? {});
      expect(textOf(form), manifest.type).not.toMatch(/Unsupported field/i);
      found.push(...[...form.querySelectorAll("textarea.json-text")].map((field) => `${manifest.type} ${field.id}`));
    }
    expect(found).toEqual(expect.arrayContaining([
      "http root_json", "http root_headers_X-Key", "set root_values_vars.count", "set root_values_vars.name", "set root_values_vars.list",
      "branch root_rules_0_when_value", "subflow root_inputs_account", "subflow root_inputs_tries", "script root_input",
    ]));
  });

  it("shows the value as JSON, a string as plain text, and a string that reads as JSON in quotes", async () => {
    const { form } = await renderForm("set", { values: { "vars.a": [1, 2], "vars.b": "Hello {{ contact.name }}", "vars.c": "12" } });
    expect(form.querySelector<HTMLTextAreaElement>("#root_values_vars\\.a")!.value).toBe("[\n  1,\n  2\n]");
    expect(form.querySelector<HTMLTextAreaElement>("#root_values_vars\\.b")!.value).toBe("Hello {{ contact.name }}");
    expect(form.querySelector<HTMLTextAreaElement>("#root_values_vars\\.c")!.value).toBe("\"12\"");
  });

  it("writes the parsed value into the config: JSON, or text typed without quotes", async () => {
    const rendered = await renderForm("http", { url: "https://x.example" });
    type(rendered.form, "#root_json", "{\"account\": \"{{ vars.account }}\", \"tries\": [1, 2]}");
    expect(rendered.config().json).toEqual({ account: "{{ vars.account }}", tries: [1, 2] });
    type(rendered.form, "#root_json", "12");
    expect(rendered.config().json).toBe(12);
    type(rendered.form, "#root_json", "{{ vars.body }}");
    expect(rendered.config().json).toBe("{{ vars.body }}");
    type(rendered.form, "#root_json", "\"12\"");
    expect(rendered.config().json).toBe("12");
    type(rendered.form, "#root_json", "");
    expect(JSON.parse(JSON.stringify(rendered.config()))).toEqual({ url: "https://x.example" });
  });

  it("keeps the typed text while it is not JSON, says where in place, and leaves the config alone", async () => {
    const rendered = await renderForm("http", { url: "https://x.example", json: { a: 1 } });
    type(rendered.form, "#root_json", "{\"a\": 1,\n \"b\": }");
    const field = rendered.form.querySelector<HTMLTextAreaElement>("#root_json")!;
    expect(field.value).toBe("{\"a\": 1,\n \"b\": }");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    const error = document.getElementById(field.getAttribute("aria-describedby")!.split(" ")[0]);
    expect(textOf(error)).toBe("Not valid JSON at line 2, column 7. To keep it as text, put it in double quotes.");
    expect(rendered.config().json).toEqual({ a: 1 });
    type(rendered.form, "#root_json", "{\"a\": 1,\n \"b\": 2}");
    expect(rendered.config().json).toEqual({ a: 1, b: 2 });
    expect(rendered.form.querySelector(".json-error")).toBeNull();
  });

  it("says so in the interface's language", async () => {
    const { form } = await renderForm("script", { code: "pass" }, { language: "ru" });
    type(form, "#root_input", "[1, 2");
    expect(textOf(form.querySelector(".json-error"))).toBe(
      "Это не JSON: строка 1, столбец 6. Чтобы сохранить как текст, заключите его в двойные кавычки.");
  });

  it("is decided by the schema: no type, several types, a map of anything", async () => {
    const manifest: BlockManifest = {
      type: "acme.any", version: "1.0.0", title: "Any", category: "Acme", exits: ["next"],
      config_schema: {
        type: "object",
        properties: {
          free: { title: "Free" },
          count_or_flag: { title: "Count or flag", type: ["number", "boolean"] },
          list: { type: "array", title: "List", items: {} },
          extra: { type: "object", title: "Extra" },
          name: { type: "string", title: "Name" },
          maybe: { type: ["string", "null"], title: "Maybe" },
        },
      },
    };
    const rendered = await renderForm(manifest, { free: null, count_or_flag: true, list: [{ a: 1 }], extra: { k: [1] }, name: "n", maybe: "m" });
    const json = [...rendered.form.querySelectorAll("textarea.json-text")].map((field) => field.id);
    expect(json).toEqual(["root_free", "root_count_or_flag", "root_list_0", "root_extra_k"]);
    expect(rendered.form.querySelector("#root_name")!.tagName).toBe("INPUT");
    expect(rendered.form.querySelector("#root_maybe")!.tagName).toBe("INPUT");
    type(rendered.form, "#root_count_or_flag", "false");
    expect(rendered.config().count_or_flag).toBe(false);
  });

  it("takes a text or a secret reference, as alternatives of different types allow", async () => {
    const rendered = await renderForm("acme.crm_lookup", { base_url: "https://crm.example.com", token: { $secret: "ACME_TOKEN" } });
    expect(textOf(rendered.form.querySelector(".secret-value"))).toContain("secret ACME_TOKEN");
    fireEvent.click(rendered.form.querySelector(".secret-value button")!);
    type(rendered.form, "#root_token", "plain-token");
    expect(rendered.config().token).toBe("plain-token");
    type(rendered.form, "#root_token", "{\"$secret\": \"CRM\"}");
    expect(rendered.config().token).toEqual({ $secret: "CRM" });
    expect(rendered.form.querySelector("select")).toBeNull(); // no "Option 1 / Option 2"
  });

  it("adds a map's entry as a value to write over, not an empty object", async () => {
    const rendered = await renderForm("http", { url: "https://x.example" });
    fireEvent.click(rendered.form.querySelector("#root_query__add")!);
    await settle();
    expect(rendered.config().query).toEqual({ newKey: "New value" });
    type(rendered.form, "#root_query_newKey", "3");
    expect(rendered.config().query).toEqual({ newKey: 3 });
    expect(textOf(rendered.form.querySelector("label[for='root_query_newKey-key']"))).toBe("newKey Key");
    fireEvent.click(rendered.form.querySelector("#root_headers__add")!);
    await settle();
    type(rendered.form, "#root_headers_newKey", "12");
    await settle();
    const errors = [...rendered.form.querySelectorAll("#root_headers_newKey__error li")].map(textOf);
    expect(errors).toContain("must be string");
    expect(errors.filter((error) => error.includes(","))).toEqual([]); // not the form's own "must be string,object"
  });
});

describe("the form's own errors", () => {
  it("show once, at the top, in the interface's words, and no field is marked", async () => {
    const rendered = await renderForm("say", { text: "Hello" });
    type(rendered.form, "#root_text", "");
    await settle();
    const errors = [...rendered.form.querySelectorAll(".error-detail li")].map(textOf);
    expect(errors).toEqual(["Fill in exactly one of: Text, Response, or Audio prompt."]);
    const top = rendered.form.querySelector(".form-errors")!;
    expect(top.compareDocumentPosition(rendered.form.querySelector("legend")!) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(rendered.form.querySelectorAll("[aria-invalid='true']")).toHaveLength(0);
  });

  it("count two given properties as the same one error", async () => {
    const { form } = await renderForm("say", { text: "Hello", audio: "greeting" }, { language: "ru" });
    type(form, "#root_text", "Hello!");
    await settle();
    expect([...form.querySelectorAll(".error-detail li")].map(textOf)).toEqual(["Заполните ровно одно из полей: Текст, Именованный ответ или Аудиофайл."]);
    expect(form.querySelector("#root_audio")).not.toBeNull(); // the config holds it: it shows
  });

  it("take the server's problem about the whole config to the top as well", async () => {
    const problem: Problem = { severity: "error", pointer: "/blocks/b/config", message: "config is not valid", block: "b", line: 1 };
    const { form } = await renderForm("say", {}, { problems: [problem] });
    expect(textOf(form.querySelector(".form-errors"))).toBe("config is not valid");
  });
});

describe("the server's problems on fields", () => {
  const problem = (pointer: string, message: string): Problem => ({ severity: "error", pointer, message, block: "b", line: 1 });

  it("name no line on a field that is not code: the line is the flow file's", async () => {
    const { form } = await renderForm("menu", SAMPLES.menu, { problems: [problem("/blocks/b/config/prompt", "prompt is too short")] });
    expect([...form.querySelectorAll(".error-detail li")].map(textOf)).toEqual(["prompt is too short"]);
  });

  it("name the line of the code on a script's code and an expr condition", async () => {
    const script = await renderForm("script", { code: "x = (\n" }, { problems: [problem("/blocks/b/config/code", "line 2: invalid syntax")] });
    expect([...script.form.querySelectorAll(".error-detail li")].map(textOf)).toEqual(["invalid syntax (line 2)"]);
    const branch = await renderForm("branch", SAMPLES.branch, {
      language: "ru", problems: [problem("/blocks/b/config/rules/1/when/expr", "line 1: unexpected EOF")],
    });
    expect([...branch.form.querySelectorAll(".error-detail li")].map(textOf)).toEqual(["unexpected EOF (строка 1)"]);
  });
});

describe("an object of which one property is given", () => {
  it("is one select labelled once with the object's title, and the chosen property's field", async () => {
    const { form } = await renderForm("transfer", { target: { number: "+4930123456" } });
    const select = form.querySelector<HTMLSelectElement>("select#root_target__choice")!;
    expect(textOf(form.querySelector("label[for='root_target__choice']"))).toBe("Target*");
    expect([...select.options].map((option) => option.text)).toEqual(["Phone number", "SIP URI", "Queue", "Agent"]);
    expect(select.value).toBe("number");
    const headings = [...form.querySelectorAll("legend, label, .control-label")].map(textOf);
    expect(headings.filter((text) => /^target\*?$/i.test(text))).toEqual(["Target*"]);
    expect([...form.querySelectorAll("legend")].map(textOf)).toEqual(["Transfer"]); // the form's title only
    expect(form.querySelector("#root_target_number")).not.toBeNull();
    expect(form.querySelector("#root_target_queue")).toBeNull();
  });

  it("switches the field and keeps one property in the config, the earlier value back when picked again", async () => {
    const rendered = await renderForm("transfer", { target: { number: "+4930123456" }, timeout_s: 20 });
    type(rendered.form, "#root_target__choice", "queue");
    expect(rendered.config()).toEqual({ target: {}, timeout_s: 20 });
    expect(rendered.form.querySelector("#root_target_number")).toBeNull();
    type(rendered.form, "#root_target_queue", "support");
    expect(rendered.config().target).toEqual({ queue: "support" });
    type(rendered.form, "#root_target__choice", "number");
    expect(rendered.config().target).toEqual({ number: "+4930123456" });
  });

  it("speaks the interface's language", async () => {
    const { form } = await renderForm("say", { audio: "greeting" }, { language: "ru" });
    const select = form.querySelector<HTMLSelectElement>("#root__choice")!;
    expect(textOf(form.querySelector("label[for='root__choice']"))).toBe("Задать");
    expect([...select.options].map((option) => option.text)).toEqual(["Текст", "Именованный ответ", "Аудиофайл"]);
    expect(select.value).toBe("audio");
  });
});

describe("every field, by keyboard", () => {
  /** Return the accessible name of a control: its labels, aria-labelledby, aria-label or text. */
  const nameOf = (form: HTMLElement, control: HTMLElement): string => {
    const labelledBy = control.getAttribute("aria-labelledby");
    if (labelledBy) return labelledBy.split(" ").map((id) => textOf(form.ownerDocument.getElementById(id))).join(" ").trim();
    const labels = "labels" in control ? [...((control as HTMLInputElement).labels ?? [])] : [];
    return (labels.map(textOf).join(" ") || control.getAttribute("aria-label") || textOf(control)).trim();
  };

  it("has a name, a place in the tab order and no trap, in every block's form", async () => {
    for (const manifest of manifests()) {
      const { form } = await renderForm(manifest, SAMPLES[manifest.type] ?? {});
      await settle(60);
      const controls = [...form.querySelectorAll<HTMLElement>("input, select, textarea, button, [contenteditable='true'], [tabindex]")];
      expect(controls.length, manifest.type).toBeGreaterThan(0);
      for (const control of controls) {
        const tabindex = Number(control.getAttribute("tabindex") ?? 0);
        expect(tabindex, `${manifest.type} ${control.outerHTML.slice(0, 80)}`).toBeLessThanOrEqual(0);
        if (tabindex < 0) continue; // reached through its editor (CodeMirror's scroller)
        expect(nameOf(form, control), `${manifest.type} ${control.outerHTML.slice(0, 120)}`).not.toBe("");
        expect(control.closest("[aria-hidden='true'], .hidden"), `${manifest.type} ${control.id}`).toBeNull();
      }
    }
  });

  it("lets the code editor be left: Esc, then Tab, as its hint says", async () => {
    const { form } = await renderForm("script", { code: "pass" });
    await settle(60);
    const editor = form.querySelector<HTMLElement>("[data-field='root_code'] [contenteditable='true']")!;
    expect(editor.getAttribute("aria-label")).toBe("Code");
    const hint = editor.getAttribute("aria-describedby")!.split(" ").map((id) => textOf(document.getElementById(id))).join(" ");
    expect(hint).toContain("Esc, then Tab");
  });
});
