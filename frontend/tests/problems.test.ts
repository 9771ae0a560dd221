import { describe, expect, it } from "vitest";
import {
  blockLevel, blockOf, configPath, countByBlock, extraErrorsFor, fieldId, parsePointer, sortProblems,
} from "../src/lib/problems";
import type { Problem } from "../src/lib/types";

const P = (pointer: string, severity: Problem["severity"] = "error", extra: Partial<Problem> = {}): Problem =>
  ({ severity, pointer, message: `bad ${pointer}`, block: null, field: null, ...extra });

describe("pointers", () => {
  it("unescape ~1 and ~0", () => {
    expect(parsePointer("/blocks/a~1b/config/x~0y")).toEqual(["blocks", "a/b", "config", "x~y"]);
    expect(parsePointer("")).toEqual([]);
  });

  it("name the block from the problem, else from the pointer", () => {
    expect(blockOf(P("/blocks/main_menu/config/timeout_s"))).toBe("main_menu");
    expect(blockOf(P("/start", "error", { block: "welcome" }))).toBe("welcome");
    expect(blockOf(P("/settings/language"))).toBeNull();
  });

  it("give the path inside config, or null outside it", () => {
    expect(configPath(P("/blocks/m/config/options/0/exit"))).toEqual(["options", "0", "exit"]);
    expect(configPath(P("/blocks/m/config"))).toEqual([]);
    expect(configPath(P("/blocks/m/exits/next"))).toBeNull();
  });
});

describe("extraErrorsFor", () => {
  it("puts each problem of a block's config on its field, as rjsf's extraErrors", () => {
    const problems = [
      P("/blocks/m/config/timeout_s"),
      P("/blocks/m/config/options/0/exit"),
      P("/blocks/m/config/options/0/exit", "warning"),
      P("/blocks/m/config"),
      P("/blocks/other/config/text"),
      P("/blocks/m/exits/x"),
    ];
    expect(extraErrorsFor("m", problems)).toEqual({
      timeout_s: { __errors: ["bad /blocks/m/config/timeout_s"] },
      options: { 0: { exit: { __errors: ["bad /blocks/m/config/options/0/exit", "bad /blocks/m/config/options/0/exit"] } } },
      __errors: ["bad /blocks/m/config"],
    });
  });

  it("formats messages as told (a script's line)", () => {
    const problems = [P("/blocks/s/config/code", "error", { line: 3 })];
    expect(extraErrorsFor("s", problems, (p) => `${p.message} @${p.line}`)).toEqual({ code: { __errors: ["bad /blocks/s/config/code @3"] } });
  });
});

describe("counts and lists", () => {
  it("count errors and warnings per block", () => {
    expect(countByBlock([P("/blocks/a/config/x"), P("/blocks/a", "warning"), P("/blocks/b/exits/n"), P("/start")]))
      .toEqual({ a: { errors: 1, warnings: 1 }, b: { errors: 1, warnings: 0 } });
  });

  it("list a block's problems that are not about a field", () => {
    expect(blockLevel("a", [P("/blocks/a/config/x"), P("/blocks/a/exits/next"), P("/blocks/a")]).map((p) => p.pointer))
      .toEqual(["/blocks/a/exits/next", "/blocks/a"]);
  });

  it("sort errors before warnings, then by pointer", () => {
    expect(sortProblems([P("/b", "warning"), P("/c"), P("/a")]).map((p) => p.pointer)).toEqual(["/a", "/c", "/b"]);
  });

  it("name rjsf field ids after the config path", () => {
    expect(fieldId(["rules", "0", "when", "expr"])).toBe("root_rules_0_when_expr");
  });
});
