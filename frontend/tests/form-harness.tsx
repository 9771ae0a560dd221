// A block's form as the block panel holds it (the config it shows is the config it last gave),
// rendered in jsdom, in English unless told otherwise.
import { useState } from "react";
import { act, cleanup, render } from "@testing-library/react";
import i18n from "../src/i18n";
import BlockForm from "../src/components/form/BlockForm";
import type { BlockManifest, JsonObject, Problem } from "../src/lib/types";
import { catalog } from "./fixtures";

// jsdom measures no text: CodeMirror asks for rectangles all the same
Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList;
Range.prototype.getBoundingClientRect = () => new DOMRect();

export interface Rendered {
  form: HTMLElement;
  config: () => JsonObject;
  changes: () => number;
}

/** Render the form of a block type (or manifest) with `config`, and wait for its lazy parts. */
export async function renderForm(block: string | BlockManifest, config: JsonObject,
                                 { problems = [], language = "en" }: { problems?: Problem[]; language?: string } = {}): Promise<Rendered> {
  cleanup();
  await act(() => i18n.changeLanguage(language));
  const manifest = typeof block === "string" ? catalog().find(block)! : block;
  let current = config;
  let changes = 0;
  function Panel() {
    const [value, setValue] = useState(config);
    return <BlockForm blockId="b" manifest={manifest} config={value} problems={problems} readOnly={false}
      focusField={null} onChange={(next) => { current = next; changes++; setValue(next); }} />;
  }
  const { container } = render(<Panel />);
  await settle();
  return { form: container, config: () => current, changes: () => changes };
}

/** Let lazy components load and effects run. */
export async function settle(ms = 30): Promise<void> {
  await act(() => new Promise((resolve) => setTimeout(resolve, ms)));
}

/** Return the visible text of an element, spaces tidied. */
export function textOf(element: Element | null | undefined): string {
  return (element?.textContent ?? "").replace(/\s+/g, " ").trim();
}
