// A bot's entities as the entities form changes them, and what the bot schema says of them
// (tested with the schema file itself: the form tells what the server would refuse).
import { describe, expect, it } from "vitest";
import {
  addEntity, addValue, entityErrors, entityPointer, removeEntity, removeValue, renameEntity, renameValue,
  setEntityKind, setSynonyms, updateEntity,
} from "../src/lib/bot-entities";
import type { BotDocument } from "../src/lib/types";

const BOT: BotDocument = { schema: "callwright/bot@1", id: "bank", languages: ["en", "ru"], intents: { hi: { examples: { en: ["hello"] } } } };

describe("a bot's entities", () => {
  it("are left out of the document when there are none", () => {
    const added = addEntity(BOT, "account");
    expect(added.entities).toEqual({ account: { kind: "digits" } });
    expect("entities" in removeEntity(added, "account")).toBe(false);
  });

  it("keep their order when one is renamed; an empty or taken name changes nothing", () => {
    const doc = addEntity(addEntity(BOT, "a"), "b");
    expect(Object.keys(renameEntity(doc, "a", "z").entities!)).toEqual(["z", "b"]);
    expect(renameEntity(doc, "a", "b")).toBe(doc);
    expect(renameEntity(doc, "a", "")).toBe(doc);
  });

  it("lose the fields of their old kind when their kind changes, and a list starts with no values", () => {
    let doc = updateEntity(addEntity(BOT, "account"), "account", { min_length: 8, description: "IBAN digits" });
    doc = setEntityKind(doc, "account", "list");
    expect(doc.entities!.account).toEqual({ kind: "list", description: "IBAN digits", values: {} });
    doc = setEntityKind(doc, "account", "number");
    expect(doc.entities!.account).toEqual({ kind: "number", description: "IBAN digits" });
    expect(updateEntity(doc, "account", { description: undefined }).entities!.account).toEqual({ kind: "number" });
  });

  it("hold a list's values with their synonyms, renamed in place and removed", () => {
    let doc = setEntityKind(addEntity(BOT, "card"), "card", "list");
    doc = addValue(addValue(doc, "card", "debit"), "card", "credit");
    doc = setSynonyms(doc, "card", "debit", ["debit card", "дебетовая"]);
    expect(doc.entities!.card.values).toEqual({ debit: ["debit card", "дебетовая"], credit: [] });
    expect(addValue(doc, "card", "debit")).toEqual(doc);
    doc = renameValue(doc, "card", "debit", "debet");
    expect(Object.keys(doc.entities!.card.values!)).toEqual(["debet", "credit"]);
    expect(removeValue(doc, "card", "credit").entities!.card.values).toEqual({ debet: ["debit card", "дебетовая"] });
  });
});

describe("the schema's errors about entities", () => {
  const withEntities = (entities: unknown) => ({ ...BOT, entities } as BotDocument);

  it("are none for entities the schema accepts, Russian synonyms too", () => {
    expect(entityErrors(withEntities({
      account: { kind: "digits", min_length: 8, max_length: 8 },
      amount: { kind: "number", minimum: 0 },
      card: { kind: "list", values: { debit: ["debit", "дебетовая"], credit: [] } },
    }))).toEqual([]);
  });

  it("name the place of each error, a bad name at its entity", () => {
    const errors = entityErrors(withEntities({
      card: { kind: "list", values: {} },
      noValues: { kind: "list" },
      "bad name": { kind: "digits", min_length: 0 },
      odd: { kind: "list", values: { debit: ["!!"] } },
    }));
    expect(errors).toEqual(expect.arrayContaining([
      { pointer: "/entities/bad name", message: 'must match pattern "^[A-Za-z_][A-Za-z0-9_-]{0,63}$"' },
      { pointer: "/entities/card/values", message: "must NOT have fewer than 1 properties" },
      { pointer: "/entities/noValues", message: "must have required property 'values'" },
      { pointer: "/entities/bad name/min_length", message: "must be >= 1" },
      // the schema's own pattern, as the server says it (the browser checks it as Unicode)
      { pointer: "/entities/odd/values/debit/0", message: 'must match pattern "\\w"' },
    ]));
    expect(errors).toHaveLength(5);
  });

  it("are said in Russian for a Russian interface", () => {
    expect(entityErrors(withEntities({ card: { kind: "list", values: {} } }), "ru")).toEqual([
      { pointer: "/entities/card/values", message: "должно иметь не менее, чем 1 поле" }]);
  });

  it("are about entities only", () => {
    expect(entityErrors({ ...BOT, languages: [] })).toEqual([]);
  });

  it("point at an entity whose name holds a slash the JSON pointer way", () => {
    expect(entityPointer("a/b", "values", "x~y")).toBe("/entities/a~1b/values/x~0y");
  });
});
