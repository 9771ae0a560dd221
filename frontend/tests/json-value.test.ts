// The text of a field that takes any JSON value: JSON, or plain text for a string.
import { describe, expect, it } from "vitest";
import { jsonErrorOffset, jsonText, parseJsonText } from "../src/lib/json-value";

describe("parseJsonText", () => {
  it.each([
    ["12", 12], ["-1.5e3", -1500], ["true", true], ["null", null], ["[1, 2]", [1, 2]],
    ["{\"a\": {\"b\": [true]}}", { a: { b: [true] } }], ["\"12\"", "12"], ["  [1]\n", [1]],
  ])("reads %j as JSON", (text, value) => {
    expect(parseJsonText(text)).toEqual({ value });
  });

  it.each(["Hello {{ contact.name }}", "{{ vars.count + 1 }}", "007", "1.2.3", "tru", "sip:support@pbx"])(
    "keeps %j, which is not JSON and does not start like it, as text", (text) => {
      expect(parseJsonText(text)).toEqual({ value: text });
    });

  it("reads an empty text as no value", () => {
    expect(parseJsonText("  \n")).toEqual({ value: undefined });
  });

  it.each([
    ["{\"a\": 1,}", 1, 9], ["[1, 2", 1, 6], ["\"open", 1, 6], ["{\n  \"a\": tru\n}", 2, 8], ["  {a: 1}", 1, 4],
    ["[urgent] call back", 1, 2],
  ])("says where %j stops being JSON", (text, line, column) => {
    expect(parseJsonText(text)).toEqual({ error: { line, column } });
  });
});

describe("jsonText", () => {
  it.each([
    [12, "12"], [true, "true"], [null, "null"], ["Hello {{ contact.name }}", "Hello {{ contact.name }}"],
    ["12", "\"12\""], ["true", "\"true\""], ["", "\"\""], ["[urgent]", "\"[urgent]\""], [undefined, ""],
    [{ a: [1] }, "{\n  \"a\": [\n    1\n  ]\n}"],
  ])("shows %j as %j, which reads back as the same value", (value, text) => {
    expect(jsonText(value)).toBe(text);
    if (value !== undefined) expect(parseJsonText(text)).toEqual({ value });
  });
});

describe("jsonErrorOffset", () => {
  it.each([
    ["[1, 2]x", 6], ["{\"a\" 1}", 5], ["[01]", 2], ["\"\\x\"", 2], ["[1,]", 3], ["", 0], ["{\"a\":", 5],
  ])("finds where %j goes wrong", (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});
