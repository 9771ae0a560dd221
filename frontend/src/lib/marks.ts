// What the canvas colours: the path a simulation or an execution walked, and a version diff
// (added, changed, moved blocks marked; removed ones drawn as ghosts where they stood).
import { documentToGraph, edgeId, GHOST_TYPE } from "./flow-format";
import type { BlockNode } from "./flow-format";
import type { FlowDiff, FlowDocument, PathStep } from "./types";
import type { Mark, Marks } from "../store/editor-store";

/** Mark the blocks and edges of `flowId` that a path walked; the last block is the current one. */
export function pathMarks(flowId: string, path: Pick<PathStep, "flow" | "block" | "exit">[], kind: Marks["kind"]): Marks {
  const blocks: Record<string, Mark> = {};
  const edges: Record<string, Mark> = {};
  let last: string | null = null;
  for (const step of path) {
    if (step.flow !== flowId) continue;
    blocks[step.block] = "walked";
    if (step.exit) edges[edgeId(step.block, step.exit)] = "walked";
    last = step.block;
  }
  if (last) blocks[last] = "current";
  return { kind, blocks, edges };
}

/** Mark a diff's blocks, and return the removed blocks (from the older document) as ghost nodes. */
export function diffMarks(diff: FlowDiff, older: FlowDocument | null): { marks: Marks; ghosts: BlockNode[] } {
  const blocks: Record<string, Mark> = {};
  for (const id of diff.moved ?? []) blocks[id] = "moved";
  for (const change of diff.changed ?? []) blocks[change.id] = "changed";
  for (const id of diff.added ?? []) blocks[id] = "added";
  const ghosts: BlockNode[] = [];
  if (older) {
    const removed = new Set(diff.removed ?? []);
    for (const node of documentToGraph(older).nodes) {
      if (!removed.has(node.id)) continue;
      blocks[node.id] = "removed";
      ghosts.push({ ...node, id: node.id, type: GHOST_TYPE, draggable: false, selectable: false, connectable: false, deletable: false });
    }
  }
  return { marks: { kind: "diff", blocks, edges: {} }, ghosts };
}
