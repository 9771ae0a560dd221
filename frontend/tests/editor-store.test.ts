import { describe, expect, it } from "vitest";
import { createEditorStore } from "../src/store/editor-store";
import { catalog, MENU_FLOW } from "./fixtures";

const make = () => createEditorStore("support-line", catalog(), MENU_FLOW, "etag-1");
const exitsOf = (store: ReturnType<typeof make>, id: string) => store.getState().document().blocks[id].exits;

describe("the editor store", () => {
  it("gives back the loaded document when nothing was edited, and is not dirty", () => {
    const store = make();
    expect(JSON.stringify(store.getState().document())).toBe(JSON.stringify(MENU_FLOW));
    expect(store.getState().dirty).toBe(false);
  });

  it("adds a block with a fresh id and the required defaults of its schema", () => {
    const store = make();
    const id = store.getState().addBlock("menu", { x: 10.4, y: 20.6 });
    expect(id).toBe("menu");
    expect(store.getState().addBlock("menu", { x: 0, y: 0 })).toBe("menu_2");
    const doc = store.getState().document();
    expect(doc.blocks.menu.type).toBe("menu");
    expect(doc.layout!.menu).toEqual({ x: 10, y: 21 });
    expect(store.getState().selected).toBe("menu_2");
    expect(store.getState().dirty).toBe(true);
  });

  it("names a partner block after its last part", () => {
    const store = make();
    expect(store.getState().addBlock("acme.crm_lookup", { x: 0, y: 0 })).toBe("crm_lookup");
    expect(store.getState().document().blocks.crm_lookup.type).toBe("acme.crm_lookup");
  });

  it("connects an exit to one block only: a new connection replaces the old", () => {
    const store = make();
    store.getState().connect({ source: "welcome", sourceHandle: "next", target: "bye", targetHandle: null });
    expect(exitsOf(store, "welcome")).toEqual({ next: "bye" });
    store.getState().connect({ source: "welcome", sourceHandle: "error", target: "bye", targetHandle: null });
    expect(exitsOf(store, "welcome")).toEqual({ next: "bye", error: "bye" });
  });

  it("follows a renamed menu option's exit and drops the exit of a removed option", () => {
    const store = make();
    const config = structuredClone(MENU_FLOW.blocks.main_menu.config!) as any;
    config.options[0].exit = "my_balance";
    store.getState().updateBlock("main_menu", { config });
    expect(exitsOf(store, "main_menu")).toEqual({ agent: "bye", failed: "bye", my_balance: "bye" });
    const fewer = structuredClone(config);
    fewer.options.pop();
    store.getState().updateBlock("main_menu", { config: fewer });
    expect(exitsOf(store, "main_menu")).toEqual({ failed: "bye", my_balance: "bye" });
  });

  it("undoes and redoes edits, coalescing a run of typing in one field", () => {
    const store = make();
    store.getState().updateBlock("welcome", { config: { text: "W" } });
    store.getState().updateBlock("welcome", { config: { text: "We" } });
    store.getState().setStart("main_menu");
    expect(store.getState().past.length).toBe(2);
    store.getState().undo();
    expect(store.getState().document().start).toBe("welcome");
    store.getState().undo();
    expect(store.getState().document().blocks.welcome.config).toEqual({ text: "Welcome to Acme." });
    store.getState().redo();
    store.getState().redo();
    expect(store.getState().document().start).toBe("main_menu");
    expect(store.getState().document().blocks.welcome.config).toEqual({ text: "We" });
  });

  it("deletes the selection with the edges to and from it, and undoes that", () => {
    const store = make();
    store.getState().selectOnly(["main_menu"]);
    store.getState().deleteSelected();
    const doc = store.getState().document();
    expect(Object.keys(doc.blocks)).toEqual(["welcome", "bye"]);
    expect(doc.blocks.welcome.exits).toEqual({});
    store.getState().undo();
    expect(JSON.stringify(store.getState().document())).toBe(JSON.stringify(MENU_FLOW));
  });

  it("copies blocks with the connections between them and pastes them under fresh ids", () => {
    const store = make();
    store.getState().selectOnly(["main_menu", "bye"]);
    const clip = store.getState().copySelected()!;
    const pasted = store.getState().paste(clip);
    expect(pasted).toEqual(["main_menu_2", "bye_2"]);
    const doc = store.getState().document();
    expect(doc.blocks.main_menu_2.exits).toEqual({ balance: "bye_2", agent: "bye_2", failed: "bye_2" });
    expect(doc.layout!.main_menu_2).toEqual({ x: 280, y: 40 });
    expect(store.getState().paste("not json")).toEqual([]);
    expect(store.getState().paste('{"blocks": {}}')).toEqual([]);
  });

  it("renames a block, its edges, the start and its place", () => {
    const store = make();
    expect(store.getState().renameBlock("welcome", "hello")).toBe(true);
    const doc = store.getState().document();
    expect(doc.start).toBe("hello");
    expect(Object.keys(doc.blocks)).toEqual(["hello", "main_menu", "bye"]);
    expect(doc.blocks.hello.exits).toEqual({ next: "main_menu" });
    expect(doc.layout!.hello).toEqual({ x: 0, y: 0 });
    expect(store.getState().renameBlock("hello", "bye")).toBe(false);
    expect(store.getState().renameBlock("hello", "9bad")).toBe(false);
  });

  it("changes nothing when read-only", () => {
    const store = make();
    store.getState().setReadOnly(true);
    expect(store.getState().addBlock("say", { x: 0, y: 0 })).toBeNull();
    store.getState().setStart("bye");
    store.getState().updateBlock("welcome", { label: "x" });
    store.getState().connect({ source: "bye", sourceHandle: "error", target: "welcome", targetHandle: null });
    expect(JSON.stringify(store.getState().document())).toBe(JSON.stringify(MENU_FLOW));
  });

  it("counts problems per block and keeps marks apart from the document", () => {
    const store = make();
    store.getState().setProblems([{ severity: "error", pointer: "/blocks/main_menu/config/prompt", message: "x" }]);
    expect(store.getState().problemCounts).toEqual({ main_menu: { errors: 1, warnings: 0 } });
    store.getState().setMarks({ kind: "simulation", blocks: { welcome: "walked" }, edges: {} });
    expect(JSON.stringify(store.getState().document())).toBe(JSON.stringify(MENU_FLOW));
    store.getState().clearMarks();
    expect(store.getState().marks.kind).toBeNull();
  });

  it("auto-layout positions move blocks, rounded, in one undoable step", () => {
    const store = make();
    store.getState().applyPositions({ welcome: { x: 1.2, y: 2.7 }, bye: { x: 3, y: 4 } });
    expect(store.getState().document().layout).toEqual({ welcome: { x: 1, y: 3 }, main_menu: { x: 240, y: 0 }, bye: { x: 3, y: 4 } });
    store.getState().undo();
    expect(store.getState().document().layout).toEqual(MENU_FLOW.layout);
  });
});
