import { describe, expect, it } from "vitest";
import {
  documentToGraph, edgeId, freshId, GHOST_TYPE, graphToDocument, gridPosition, makeEdge, NODE_TYPE,
} from "../src/lib/flow-format";
import type { BlockNode } from "../src/lib/flow-format";
import type { FlowDocument } from "../src/lib/types";
import { exampleFlows, MENU_FLOW } from "./fixtures";

const roundTrip = (doc: FlowDocument) => {
  const { nodes, edges } = documentToGraph(doc);
  return graphToDocument(doc, nodes, edges);
};

describe("documentToGraph", () => {
  it("makes one node per block, in document order, placed by the layout", () => {
    const { nodes } = documentToGraph(MENU_FLOW);
    expect(nodes.map((n) => n.id)).toEqual(["welcome", "main_menu", "bye"]);
    expect(nodes.every((n) => n.type === NODE_TYPE)).toBe(true);
    expect(nodes[1].position).toEqual({ x: 240, y: 0 });
    expect(nodes[1].data.block).toBe(MENU_FLOW.blocks.main_menu);
  });

  it("makes one edge per connected exit, its handle named after the exit", () => {
    const { edges } = documentToGraph(MENU_FLOW);
    expect(edges).toEqual([
      { id: "welcome:next", source: "welcome", sourceHandle: "next", target: "main_menu" },
      { id: "main_menu:balance", source: "main_menu", sourceHandle: "balance", target: "bye" },
      { id: "main_menu:agent", source: "main_menu", sourceHandle: "agent", target: "bye" },
      { id: "main_menu:failed", source: "main_menu", sourceHandle: "failed", target: "bye" },
    ]);
  });

  it("places blocks without a layout on a grid, and remembers they were never placed", () => {
    const doc: FlowDocument = { ...MENU_FLOW, layout: { welcome: { x: 5, y: 6 } } };
    const { nodes } = documentToGraph(doc);
    expect(nodes[0].data.autoPlaced).toBeUndefined();
    expect(nodes[1].position).toEqual(gridPosition(0));
    expect(nodes[2].position).toEqual(gridPosition(1));
    expect(nodes[2].data.autoPlaced).toEqual(gridPosition(1));
  });

  it("keeps an exit that points at a block that does not exist (the server reports it)", () => {
    const doc: FlowDocument = { ...MENU_FLOW, blocks: { a: { type: "say", config: { text: "x" }, exits: { next: "nowhere" } } } };
    const { edges } = documentToGraph(doc);
    expect(edges).toEqual([makeEdge("a", "next", "nowhere")]);
    expect(roundTrip(doc)).toEqual(doc);
  });
});

describe("graphToDocument", () => {
  it("gives back the very document it was given when nothing was edited", () => {
    expect(JSON.stringify(roundTrip(MENU_FLOW))).toBe(JSON.stringify(MENU_FLOW));
  });

  it("round-trips every example flow byte for byte (key order included)", () => {
    const flows = exampleFlows();
    expect(flows.length).toBeGreaterThan(0);
    for (const doc of flows) expect(JSON.stringify(roundTrip(doc), null, 2)).toBe(JSON.stringify(doc, null, 2));
  });

  it("keeps unknown fields of the document, of blocks and of layout entries as they were", () => {
    const doc = {
      ...MENU_FLOW,
      x_owner: { team: "care" },
      inputs: ["account"],
      blocks: { ...MENU_FLOW.blocks, welcome: { ...MENU_FLOW.blocks.welcome, x_colour: "blue", label: "Hi", notes: "n" } },
      layout: { ...MENU_FLOW.layout, welcome: { x: 0, y: 0, width: 300 } as { x: number; y: number } },
    } as FlowDocument;
    expect(JSON.stringify(roundTrip(doc))).toBe(JSON.stringify(doc));
  });

  it("keeps a document without layout, config or exits without them", () => {
    const doc: FlowDocument = { schema: "callwright/flow@1", id: "tiny", start: "bye", blocks: { bye: { type: "end" } } };
    expect(JSON.stringify(roundTrip(doc))).toBe(JSON.stringify(doc));
  });

  it("writes a moved block's new place, keeping extra fields of its layout entry", () => {
    const doc = { ...MENU_FLOW, layout: { ...MENU_FLOW.layout, bye: { x: 480, y: 0, w: 1 } as { x: number; y: number } } };
    const { nodes, edges } = documentToGraph(doc);
    const moved = nodes.map((n) => (n.id === "bye" ? { ...n, position: { x: 500, y: 20 } } : n));
    expect(graphToDocument(doc, moved, edges).layout!.bye).toEqual({ x: 500, y: 20, w: 1 });
  });

  it("writes the place of a block it had placed only once someone moved it", () => {
    const doc: FlowDocument = { ...MENU_FLOW, layout: undefined };
    delete doc.layout;
    const { nodes, edges } = documentToGraph(doc);
    expect(graphToDocument(doc, nodes, edges).layout).toBeUndefined();
    const moved = nodes.map((n) => (n.id === "bye" ? { ...n, position: { x: 1, y: 2 } } : n));
    expect(graphToDocument(doc, moved, edges).layout).toEqual({ bye: { x: 1, y: 2 } });
  });

  it("rebuilds exits from the edges: the document's order first, new exits after", () => {
    const { nodes, edges } = documentToGraph(MENU_FLOW);
    const changed = [
      ...edges.filter((e) => e.id !== edgeId("main_menu", "balance")),
      makeEdge("main_menu", "error", "bye"),
      makeEdge("main_menu", "balance", "welcome"),
    ];
    const doc = graphToDocument(MENU_FLOW, nodes, changed);
    expect(Object.entries(doc.blocks.main_menu.exits!)).toEqual([
      ["balance", "welcome"], ["agent", "bye"], ["failed", "bye"], ["error", "bye"],
    ]);
    expect(doc.blocks.welcome).toBe(MENU_FLOW.blocks.welcome); // untouched blocks are the same objects
  });

  it("drops exits whose edge was deleted, and blocks whose node was deleted", () => {
    const { nodes, edges } = documentToGraph(MENU_FLOW);
    const doc = graphToDocument(MENU_FLOW, nodes.filter((n) => n.id !== "bye"),
      edges.filter((e) => e.target !== "bye"));
    expect(Object.keys(doc.blocks)).toEqual(["welcome", "main_menu"]);
    expect(doc.blocks.main_menu.exits).toEqual({});
    expect(Object.keys(doc.layout!)).toEqual(["welcome", "main_menu"]);
  });

  it("adds new blocks at the end with their config, exits and place", () => {
    const { nodes, edges } = documentToGraph(MENU_FLOW);
    const node: BlockNode = { id: "ask_pin", type: NODE_TYPE, position: { x: 9, y: 9 },
      data: { block: { type: "ask", config: { prompt: "PIN?" }, exits: {} } } };
    const doc = graphToDocument(MENU_FLOW, [...nodes, node], [...edges, makeEdge("ask_pin", "next", "bye")]);
    expect(doc.blocks.ask_pin).toEqual({ type: "ask", config: { prompt: "PIN?" }, exits: { next: "bye" } });
    expect(doc.layout!.ask_pin).toEqual({ x: 9, y: 9 });
  });

  it("leaves ghost nodes (a diff's removed blocks) out of the document", () => {
    const { nodes, edges } = documentToGraph(MENU_FLOW);
    const ghost: BlockNode = { ...nodes[0], id: "gone", type: GHOST_TYPE };
    expect(Object.keys(graphToDocument(MENU_FLOW, [...nodes, ghost], edges).blocks)).not.toContain("gone");
  });

  it("takes flow-level changes from the base document it is given", () => {
    const { nodes, edges } = documentToGraph(MENU_FLOW);
    const doc = graphToDocument({ ...MENU_FLOW, start: "main_menu", name: "Renamed" }, nodes, edges);
    expect(doc.start).toBe("main_menu");
    expect(doc.name).toBe("Renamed");
    expect(Object.keys(doc)).toEqual(Object.keys(MENU_FLOW));
  });
});

describe("freshId", () => {
  it("uses the stem when it is free, else numbers it", () => {
    expect(freshId("menu", new Set())).toBe("menu");
    expect(freshId("menu", new Set(["menu", "menu_2"]))).toBe("menu_3");
  });

  it("makes a valid id out of anything", () => {
    expect(freshId("9 lives!", new Set())).toMatch(/^[A-Za-z_][A-Za-z0-9_.-]*$/);
    expect(freshId("", new Set())).toBe("block");
  });
});
