import { describe, expect, it } from "vitest";
import { addIntent, freeName, intentExits, linesOf, removeIntent, renameIntent, setPhrases, updateIntent } from "../src/lib/bot-doc";
import { addResponse, addVariant, removeVariant, updateContent } from "../src/lib/responses-doc";
import type { BotDocument, ResponsesDocument } from "../src/lib/types";

const BOT: BotDocument = {
  schema: "callwright/bot@1", id: "bank", languages: ["en", "ru"],
  intents: { balance: { examples: { en: ["my balance"], ru: ["мой баланс"] } }, hours: { examples: { en: ["open?"] }, response: "bank/hours" } },
};

describe("a bot's intents as the editor changes them", () => {
  it("adds an intent with an empty example list per declared language, under a free name", () => {
    const name = freeName(Object.keys(BOT.intents), "balance");
    expect(name).toBe("balance_2");
    const doc = addIntent(BOT, name);
    expect(Object.keys(doc.intents)).toEqual(["balance", "hours", "balance_2"]);
    expect(doc.intents.balance_2).toEqual({ examples: { en: [], ru: [] } });
    expect(BOT.intents.balance_2).toBeUndefined(); // the document read is left as it was
  });

  it("renames an intent in its place and refuses a taken name", () => {
    expect(Object.keys(renameIntent(BOT, "balance", "funds").intents)).toEqual(["funds", "hours"]);
    expect(renameIntent(BOT, "balance", "hours")).toBe(BOT);
    expect(Object.keys(removeIntent(BOT, "balance").intents)).toEqual(["hours"]);
  });

  it("sets examples from the lines of a text area and drops keyword lists left empty", () => {
    let doc = setPhrases(BOT, "balance", "examples", "en", linesOf(" my balance \n\n how much money\n"));
    expect(doc.intents.balance.examples.en).toEqual(["my balance", "how much money"]);
    doc = setPhrases(doc, "balance", "keywords", "ru", ["баланс"]);
    expect(doc.intents.balance.keywords).toEqual({ ru: ["баланс"] });
    doc = setPhrases(doc, "balance", "keywords", "ru", []);
    expect("keywords" in doc.intents.balance).toBe(false);
  });

  it("removes the auto-response when it is cleared", () => {
    const doc = updateIntent(BOT, "hours", { response: undefined });
    expect("response" in doc.intents.hours).toBe(false);
  });

  it("gives a bot block one exit per intent without a response: auto-responses share answered", () => {
    expect(intentExits([{ name: "balance" }, { name: "hours", response: "bank/hours" }, { name: "agent" }]))
      .toEqual(["balance", "agent"]);
  });
});

const SET: ResponsesDocument = { schema: "callwright/responses@1", id: "bank", responses: { hours: { text: "Open 9-5" } } };

describe("a responses set as the editor changes it", () => {
  it("adds variants by channel and language, edits and removes them", () => {
    let doc = addVariant(SET, "hours", { channel: "sms", text: "9-5" });
    doc = addVariant(doc, "hours", { language: "ru", text: "С 9 до 17" });
    doc = updateContent(doc, "hours", { text: "9 to 5", quick_replies: [] }, 0);
    expect(doc.responses.hours.variants).toEqual([{ channel: "sms", text: "9 to 5" }, { language: "ru", text: "С 9 до 17" }]);
    doc = removeVariant(removeVariant(doc, "hours", 0), "hours", 0);
    expect(doc.responses.hours).toEqual({ text: "Open 9-5" });
  });

  it("drops a field left empty rather than saving an empty text the schema refuses", () => {
    const doc = updateContent(addResponse(SET, "bye", "Bye"), "bye", { subject: "", text: "Goodbye" });
    expect(doc.responses.bye).toEqual({ text: "Goodbye" });
  });
});
