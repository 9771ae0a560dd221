// @vitest-environment jsdom
// The versions panel of a bot (the same one flows have) against a stubbed API: it lists the
// versions, shows what a version changed (against the draft, or from the version before), rolls
// back with a note, and offers no rollback to a viewer.
import { act, cleanup, fireEvent, render, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import i18n from "../src/i18n";
import { DiffSummary, FlowVersionsPanel, VersionsPanel } from "../src/components/panels/VersionsPanel";
import type { DocumentDiff, FlowDiff, Version } from "../src/lib/types";
import { EditorContext } from "../src/store/context";
import { createEditorStore } from "../src/store/editor-store";
import { catalog, MENU_FLOW } from "./fixtures";

const VERSIONS: Version[] = [
  { number: 2, content_hash: "h2", author: "ann", note: "more examples", source: "editor", created_at: "2026-12-05T00:00:00Z" },
  { number: 1, content_hash: "h1", author: "ann", source: "editor", created_at: "2026-12-04T00:00:00Z" },
];
const DIFF: DocumentDiff = {
  from: 1, to: "draft", added: ["entities/card"], removed: ["intents/hours"],
  changed: [{ id: "intents/balance", fields: ["examples"] }], fields: ["languages"],
};

// version 1 had a block `gone` the draft has not; the draft changed `welcome`
const OLDER_FLOW = { ...MENU_FLOW, blocks: { ...MENU_FLOW.blocks, gone: { type: "end", config: {} } }, layout: { ...MENU_FLOW.layout, gone: { x: 0, y: 200 } } };
const FLOW_DIFF: FlowDiff = { from: 1, to: "draft", added: [], removed: ["gone"], changed: [{ id: "welcome", fields: ["config"] }], moved: [], flow_fields: [] };

let requests: { method: string; path: string; body: unknown }[];
beforeEach(async () => {
  requests = [];
  await act(() => i18n.changeLanguage("en"));
  vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? "GET";
    const path = url.replace("/api/v1", "");
    requests.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : null });
    const answer = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    if (path === "/bots/bank/versions" || path === "/flows/support-line/versions") return answer({ versions: VERSIONS });
    if (path.startsWith("/flows/support-line/diff")) return answer(FLOW_DIFF);
    if (path === "/flows/support-line/versions/1") return answer(OLDER_FLOW);
    if (path.startsWith("/bots/bank/diff")) return answer(DIFF);
    if (path === "/bots/bank/rollback") return answer({ number: 3 }, 201);
    return answer({ error: { code: "not_found", message: "not found" } }, 404);
  }));
});
afterEach(() => { cleanup(); vi.unstubAllGlobals(); });

async function renderPanel(readOnly = false) {
  const saved = vi.fn(async () => true);
  const restored = vi.fn();
  const view = render(<VersionsPanel kind="bots" id="bank" readOnly={readOnly} ensureSaved={saved} onRestored={restored} refreshKey={0} />);
  await view.findByTestId("version-2");
  return { ...view, saved, restored };
}

describe("the versions panel of a bot", () => {
  it("lists the versions newest first with their author and note", async () => {
    const { getByTestId } = await renderPanel();
    expect(getByTestId("version-2").textContent).toContain("Version 2 · ann");
    expect(getByTestId("version-2").textContent).toContain("more examples");
    expect(getByTestId("version-1").textContent).toContain("Version 1 · ann");
  });

  it("shows what changed from a version to the saved draft, item by item", async () => {
    const { getByTestId, findByRole, saved } = await renderPanel();
    fireEvent.click(within(getByTestId("version-1")).getByRole("button", { name: "Show changes" }));
    const summary = await findByRole("status");
    expect(saved).toHaveBeenCalled();
    expect(requests.at(-1)!.path).toBe("/bots/bank/diff?from=1&to=draft");
    expect(summary.textContent).toContain("Changes from version 1 to the draft:");
    const items = within(summary).getByRole("list", { name: "What changed" });
    expect([...items.querySelectorAll("li")].map((li) => li.textContent)).toEqual([
      "+ entities/card", "~ intents/balance examples", "− intents/hours"]);
    expect(summary.textContent).toContain("Fields changed: languages");
  });

  it("compares a version with the one before it, and not the first version with anything", async () => {
    const { getByTestId, getByLabelText, findByRole, saved } = await renderPanel();
    fireEvent.change(getByLabelText("Compare with"), { target: { value: "previous" } });
    expect((within(getByTestId("version-1")).getByRole("button", { name: "Show changes" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(getByTestId("version-2")).getByRole("button", { name: "Show changes" }));
    expect((await findByRole("status")).textContent).toContain("Changes from version 1 to version 2:");
    expect(requests.at(-1)!.path).toBe("/bots/bank/diff?from=1&to=2");
    expect(saved).not.toHaveBeenCalled();
  });

  it("rolls back to a version with a note, then reads the list again", async () => {
    const { getByTestId, restored } = await renderPanel();
    const one = getByTestId("version-1");
    fireEvent.click(within(one).getByRole("button", { name: "Restore" }));
    fireEvent.change(within(one).getByLabelText("Note"), { target: { value: "two was wrong" } });
    await act(async () => { fireEvent.submit(one.querySelector("form")!); });
    expect(requests.find((r) => r.method === "POST")).toEqual({ method: "POST", path: "/bots/bank/rollback", body: { version: 1, note: "two was wrong" } });
    expect(restored).toHaveBeenCalledOnce();
    expect(requests.filter((r) => r.path === "/bots/bank/versions")).toHaveLength(2);
  });

  it("offers a viewer the changes but no rollback", async () => {
    const { getByTestId } = await renderPanel(true);
    for (const number of [1, 2]) {
      const version = getByTestId(`version-${number}`);
      expect(within(version).queryByRole("button", { name: "Restore" })).toBeNull();
      expect(within(version).getByRole("button", { name: "Show changes" })).toBeTruthy();
    }
  });
});

describe("the versions panel of a flow", () => {
  it("colours the canvas with a diff against the draft, and clears it when the diff is hidden", async () => {
    const store = createEditorStore("support-line", catalog(), MENU_FLOW, "e1");
    const { findByTestId, findByRole, getByRole } = render(
      <EditorContext.Provider value={store}>
        <FlowVersionsPanel ensureSaved={async () => true} onRestored={() => undefined} refreshKey={0} />
      </EditorContext.Provider>);
    fireEvent.click(within(await findByTestId("version-1")).getByRole("button", { name: "Show changes" }));
    expect((await findByRole("status")).textContent).toContain("moved: 0");
    expect(store.getState().marks.blocks).toEqual({ welcome: "changed", gone: "removed" });
    expect(store.getState().ghosts.map((ghost) => ghost.id)).toEqual(["gone"]);
    fireEvent.click(getByRole("button", { name: "Hide changes" }));
    expect(store.getState().marks.blocks).toEqual({});
    expect(store.getState().ghosts).toEqual([]);
  });
});

describe("a diff's summary", () => {
  it("counts a flow's moved blocks and names its flow fields", () => {
    const { getByRole } = render(<DiffSummary version={3} against="draft" onHide={() => undefined}
      diff={{ from: 3, to: "draft", added: [], removed: [], changed: [], moved: ["bye"], flow_fields: ["start"] }} />);
    const summary = getByRole("status");
    expect(summary.textContent).toContain("moved: 1");
    expect(summary.textContent).toContain("Flow fields changed: start");
  });

  it("says when nothing changed", () => {
    const { getByRole } = render(<DiffSummary version={2} against="previous" onHide={() => undefined}
      diff={{ from: 1, to: 2, added: [], removed: [], changed: [], fields: [] }} />);
    expect(getByRole("status").textContent).toContain("No changes.");
    expect(getByRole("status").querySelector(".mark-moved")).toBeNull();
  });
});
