import { describe, expect, it } from "vitest";
import { diffMarks, pathMarks } from "../src/lib/marks";
import { MENU_FLOW } from "./fixtures";

describe("pathMarks", () => {
  it("marks the blocks and edges walked in this flow, the last block as current", () => {
    const path = [
      { flow: "support-line", block: "welcome", exit: "next" },
      { flow: "verify-pin", block: "ask", exit: "next" },
      { flow: "support-line", block: "main_menu", exit: null },
    ];
    expect(pathMarks("support-line", path, "simulation")).toEqual({
      kind: "simulation",
      blocks: { welcome: "walked", main_menu: "current" },
      edges: { "welcome:next": "walked" },
    });
  });
});

describe("diffMarks", () => {
  it("colours added, changed and moved blocks, and makes ghosts of removed ones where they stood", () => {
    const diff = { from: 1, to: "draft", added: ["new"], removed: ["bye"], changed: [{ id: "main_menu", fields: ["config"] }],
      moved: ["welcome"], flow_fields: [] };
    const { marks, ghosts } = diffMarks(diff, MENU_FLOW);
    expect(marks.blocks).toEqual({ welcome: "moved", main_menu: "changed", new: "added", bye: "removed" });
    expect(ghosts.map((g) => [g.id, g.type, g.position, g.draggable])).toEqual([["bye", "ghost", { x: 480, y: 0 }, false]]);
  });
});
