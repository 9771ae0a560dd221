import { describe, expect, it } from "vitest";
import { BLOCK_WIDTH, blockHandles, blockHeight, shapeOf, withHandles } from "../src/components/canvas/geometry";
import { documentToGraph } from "../src/lib/flow-format";
import type { BlockNode } from "../src/lib/flow-format";
import { catalog, MENU_FLOW } from "./fixtures";

const blocks = catalog();
const find = (type: string) => blocks.find(type);

describe("a block's shape", () => {
  it("has the exits the block draws and says which optional rows it shows", () => {
    const menu = MENU_FLOW.blocks.main_menu;
    const shape = shapeOf(find(menu.type), menu);
    expect(shape.exits.slice(-1)).toEqual(["error"]);
    expect(shape.exits).toEqual(expect.arrayContaining(["balance", "agent", "failed"]));
    expect(shape).toMatchObject({ summary: true, unknown: false });
    expect(shapeOf(undefined, { type: "acme.gone@1", config: {}, exits: { done: "x" } }))
      .toEqual({ exits: ["done", "error"], summary: false, unknown: true });
  });

  it("has a bot block's exits for its bot's intents, as the block draws them", () => {
    const bots = new Map([["bank", ["balance", "lost_card"]]]);
    const shape = shapeOf(find("bot"), { type: "bot", config: { bot: "bank" }, exits: {} }, bots);
    expect(shape.exits).toEqual(["answered", "fallback", "balance", "lost_card", "error"]);
  });

  it("is taller by one row an exit and by two lines a summary or unknown type's note", () => {
    const bare = blockHeight({ exits: [], summary: false, unknown: false });
    expect(blockHeight({ exits: ["a"], summary: false, unknown: false })).toBe(bare + 7 + 16);
    expect(blockHeight({ exits: ["a", "b"], summary: false, unknown: false })).toBe(bare + 7 + 32);
    expect(blockHeight({ exits: [], summary: true, unknown: true })).toBe(bare + 72);
  });
});

describe("a block's handles", () => {
  it("are its input at the middle of its left side and one output an exit, a row apart, past its right side", () => {
    const shape = { exits: ["next", "error"], summary: true, unknown: false };
    const height = blockHeight(shape);
    const [input, next, error] = blockHandles(shape);
    expect(input).toMatchObject({ id: null, type: "target", position: "left", x: -4.5, y: height / 2 - 4.5 });
    expect(next).toMatchObject({ id: "next", type: "source", position: "right", x: BLOCK_WIDTH - 0.5 });
    expect(error.y - next.y).toBe(16);
    expect(error.y + 4.5).toBe(height - 1 - 4 - 8); // the last row's middle: above the border, padding, half a row
  });
});

describe("withHandles", () => {
  it("gives an unmeasured node its size and handles, one copy a node, and a measured node as it is", () => {
    const cache = new WeakMap<BlockNode, BlockNode>();
    const [welcome] = documentToGraph(MENU_FLOW).nodes;
    const shaped = withHandles(welcome, blocks, cache);
    expect(shaped).not.toBe(welcome);
    expect(shaped.handles?.map((h) => h.id)).toEqual([null, "next", "error"]);
    expect(shaped).toMatchObject({ id: "welcome", position: welcome.position,
      measured: { width: BLOCK_WIDTH, height: blockHeight(shapeOf(find("say"), welcome.data.block)) } });
    expect(withHandles(welcome, blocks, cache)).toBe(shaped);
    const measured = { ...welcome, measured: { width: 220, height: 98 } };
    expect(withHandles(measured, blocks, cache)).toBe(measured);
  });
});
