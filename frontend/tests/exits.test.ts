import { describe, expect, it } from "vitest";
import { derivedExits, exitsOf, renamedExits } from "../src/lib/exits";
import { catalog } from "./fixtures";

const cat = catalog();
const manifest = (type: string) => cat.find(type)!;

describe("exitsOf", () => {
  it("gives the fixed exits then error", () => {
    expect(exitsOf(manifest("say"), { config: { text: "x" } })).toEqual(["next", "error"]);
    expect(exitsOf(manifest("end"), { config: {} })).toEqual(["error"]);
    expect(exitsOf(manifest("http"), { config: {} })).toEqual(["success", "failure", "timeout", "error"]);
  });

  it("derives a menu's exits from its options, in order, before failed is listed once", () => {
    const config = { prompt: "p", options: [{ key: "1", exit: "balance" }, { key: "0", exit: "agent" }, { key: "9", exit: "balance" }] };
    expect(exitsOf(manifest("menu"), { config })).toEqual(["failed", "balance", "agent", "error"]);
  });

  it("derives branch, split and script exits (a list of names) from config", () => {
    expect(exitsOf(manifest("branch"), { config: { rules: [{ when: { expr: "1" }, exit: "vip" }] } }))
      .toEqual(["default", "vip", "error"]);
    expect(exitsOf(manifest("split"), { config: { branches: [{ exit: "a", percent: 50 }, { exit: "b", percent: 50 }] } }))
      .toEqual(["a", "b", "error"]);
    expect(exitsOf(manifest("script"), { config: { code: "x", exits: ["ok", "ko"] } })).toEqual(["next", "ok", "ko", "error"]);
  });

  it("ignores options whose exit is not yet filled in", () => {
    expect(derivedExits(manifest("menu"), { options: [{ key: "1" }, { key: "2", exit: "" }, "junk"] })).toEqual([]);
    expect(derivedExits(manifest("menu"), { options: "not a list" })).toEqual([]);
  });

  it("gives a bot block its live bot's intent exits as they are added, after the fixed ones", () => {
    const bots = new Map([["bank", ["balance", "lost_card"]]]);
    const block = { config: { bot: "bank" }, exits: { balance: "a", gone: "b" } };
    expect(exitsOf(manifest("bot"), block, bots)).toEqual(["answered", "fallback", "balance", "lost_card", "error"]);
    expect(exitsOf(manifest("bot"), { config: { bot: "shop" }, exits: { x: "a" } }, bots))
      .toEqual(["answered", "fallback", "x", "error"]); // a bot not live: the document's exits stay
  });

  it("keeps a bot block's intent exits as the document gives them while its bot is unknown", () => {
    const block = { config: { bot: "bank" }, exits: { balance: "a", answered: "b" } };
    expect(exitsOf(manifest("bot"), block)).toEqual(["answered", "fallback", "balance", "error"]);
    expect(exitsOf(manifest("bot"), { config: { bot: "bank" } })).toEqual(["answered", "fallback", "error"]);
  });

  it("falls back to the document's own exits for a type the server does not know", () => {
    expect(exitsOf(undefined, { config: {}, exits: { found: "a", missing: "b" } })).toEqual(["found", "missing", "error"]);
  });

  it("finds partner blocks and pinned versions", () => {
    expect(cat.find("acme.crm_lookup")?.version).toBe("2.0.0");
    expect(cat.find("acme.crm_lookup@1")?.version.startsWith("1.")).toBe(true);
    expect(cat.find("acme.crm_lookup@7")).toBeUndefined();
  });
});

describe("renamedExits", () => {
  it("follows an option whose exit was renamed in place", () => {
    const before = { options: [{ key: "1", exit: "bal" }, { key: "2", exit: "agent" }] };
    const after = { options: [{ key: "1", exit: "balance" }, { key: "2", exit: "agent" }] };
    expect([...renamedExits(manifest("menu"), before, after)]).toEqual([["bal", "balance"]]);
  });

  it("renames nothing when options were added or removed", () => {
    const before = { options: [{ key: "1", exit: "a" }] };
    const after = { options: [{ key: "1", exit: "b" }, { key: "2", exit: "c" }] };
    expect(renamedExits(manifest("menu"), before, after).size).toBe(0);
  });
});
