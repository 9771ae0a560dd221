import { describe, expect, it } from "vitest";
import { labelsFor } from "../widget/labels";

describe("the widget's labels", () => {
  it("speak Russian on a page whose language is Russian, in any region", () => {
    expect(labelsFor("ru").open).toBe("Чат с нами");
    expect(labelsFor("ru-RU").send).toBe("Отправить");
    expect(labelsFor("RU").message).toBe("Ваше сообщение");
  });

  it("speak English on any other page, or one without a language", () => {
    expect(labelsFor("en-GB").open).toBe("Chat with us");
    expect(labelsFor("de").open).toBe("Chat with us");
    expect(labelsFor("").open).toBe("Chat with us");
    expect(labelsFor(null).close).toBe("Close the chat");
  });

  it("have every English label in Russian too", () => {
    const english = labelsFor("en");
    const russian = labelsFor("ru");
    expect(Object.keys(russian).sort()).toEqual(Object.keys(english).sort());
    for (const key of Object.keys(english) as (keyof typeof english)[]) {
      expect(russian[key]).not.toBe(english[key]);
    }
  });
});
