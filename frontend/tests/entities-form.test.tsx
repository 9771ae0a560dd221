// @vitest-environment jsdom
// A bot's entities form: an entity is added, made a list, given a value with synonyms, and the
// document holds just that; the schema's errors show at the entity as they happen; a viewer
// sees the entities and changes nothing.
import { useState } from "react";
import { act, cleanup, fireEvent, render, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import i18n from "../src/i18n";
import { EntitiesForm } from "../src/components/EntitiesForm";
import type { BotDocument } from "../src/lib/types";

afterEach(cleanup);

const BOT: BotDocument = { schema: "callwright/bot@1", id: "bank", languages: ["en", "ru"], intents: { hi: { examples: { en: ["hello"] } } } };

function renderForm(doc: BotDocument, readOnly = false) {
  let current = doc;
  function Page() {
    const [value, setValue] = useState(doc);
    return <EntitiesForm doc={value} readOnly={readOnly} change={(edit) => setValue((d) => (current = edit(d)))} />;
  }
  const view = render(<Page />);
  return { ...view, doc: () => current };
}

describe("the entities form", () => {
  it("adds a list entity with a value and its synonyms", async () => {
    await act(() => i18n.changeLanguage("en"));
    const { getByRole, doc } = renderForm(BOT);
    fireEvent.click(getByRole("button", { name: "Add an entity" }));
    const entity = getByRole("group", { name: "Entity new_entity" });
    const name = within(entity).getByLabelText("Name");
    fireEvent.change(name, { target: { value: "card" } });
    fireEvent.blur(name);
    const card = getByRole("group", { name: "Entity card" });
    fireEvent.change(within(card).getByLabelText("Kind"), { target: { value: "list" } });
    // a list with no values is what the schema refuses, and says so at the entity
    expect(within(card).getByRole("alert").textContent).toBe("/entities/card/values must NOT have fewer than 1 properties");
    fireEvent.change(within(card).getByLabelText("New value"), { target: { value: " debit " } });
    fireEvent.click(within(card).getByRole("button", { name: "Add value" }));
    const value = within(card).getByRole("group", { name: "Value debit" });
    fireEvent.change(within(value).getByLabelText(/Synonyms/), { target: { value: "debit card\n\nдебетовая\n" } });
    expect(doc().entities).toEqual({ card: { kind: "list", values: { debit: ["debit card", "дебетовая"] } } });
    expect(within(card).queryByRole("alert")).toBeNull();
  });

  it("shows the fields of the entity's kind and marks the one the schema refuses", async () => {
    await act(() => i18n.changeLanguage("en"));
    const { getByRole, doc } = renderForm({ ...BOT, entities: { account: { kind: "digits", min_length: 8 } } });
    const account = getByRole("group", { name: "Entity account" });
    const fewest = within(account).getByLabelText("Fewest digits") as HTMLInputElement;
    expect(fewest.value).toBe("8");
    fireEvent.change(fewest, { target: { value: "0" } });
    expect(fewest.getAttribute("aria-invalid")).toBe("true");
    expect(within(account).getByRole("alert").textContent).toBe("/entities/account/min_length must be >= 1");
    fireEvent.change(fewest, { target: { value: "" } });
    expect(doc().entities).toEqual({ account: { kind: "digits" } });
    fireEvent.change(within(account).getByLabelText("Kind"), { target: { value: "number" } });
    expect(within(account).queryByLabelText("Fewest digits")).toBeNull();
    expect(within(account).getByLabelText("Smallest value")).toBeTruthy();
  });

  it("keeps an entity's name when another entity has the new one", async () => {
    await act(() => i18n.changeLanguage("en"));
    const { getByRole, doc } = renderForm({ ...BOT, entities: { a: { kind: "digits" }, b: { kind: "number" } } });
    const name = within(getByRole("group", { name: "Entity a" })).getByLabelText("Name") as HTMLInputElement;
    fireEvent.change(name, { target: { value: "b" } });
    fireEvent.blur(name);
    expect(name.value).toBe("a");
    expect(Object.keys(doc().entities!)).toEqual(["a", "b"]);
  });

  it("speaks Russian, the schema's errors too", async () => {
    await act(() => i18n.changeLanguage("ru"));
    const { getByRole } = renderForm({ ...BOT, entities: { card: { kind: "list", values: {} } } });
    const card = getByRole("group", { name: "Сущность card" });
    expect(within(card).getByLabelText("Вид")).toBeTruthy();
    expect(within(card).getByRole("alert").textContent).toBe("/entities/card/values должно иметь не менее, чем 1 поле");
    await act(() => i18n.changeLanguage("en"));
  });

  it("lets a viewer read the entities and change nothing", async () => {
    await act(() => i18n.changeLanguage("en"));
    const { getByRole, queryByRole } = renderForm({ ...BOT, entities: { card: { kind: "list", values: { debit: ["debit"] } } } }, true);
    expect(queryByRole("button")).toBeNull();
    const card = getByRole("group", { name: "Entity card" });
    expect((within(card).getByLabelText("Kind") as HTMLSelectElement).disabled).toBe(true);
    expect((within(card).getByLabelText(/Synonyms/) as HTMLTextAreaElement).readOnly).toBe(true);
    expect(within(card).queryByLabelText("New value")).toBeNull();
  });
});
