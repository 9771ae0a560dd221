// Where a block's handles are before it is drawn. A block's rows have fixed heights (styles.css,
// "the block node": these numbers mirror it), so its size and the places of its handles follow
// from what it shows: its exits, whether it has a summary, whether its type is unknown. React Flow
// draws a connection only once it knows where both ends' handles are; told up front, it draws the
// connections of a big flow in the same frame as its blocks instead of after measuring every
// block in a long frame of its own. The measurement still comes and replaces these figures.
import { Position } from "@xyflow/react";
import type { NodeHandle } from "@xyflow/react";
import type { Catalog } from "../../lib/catalog";
import { exitsOf } from "../../lib/exits";
import type { BlockNode } from "../../lib/flow-format";
import { summarize } from "../../lib/summary";
import type { Block, BlockManifest } from "../../lib/types";

export const BLOCK_WIDTH = 220;
const BORDER = 1; // .block-node's border (a 1.5px border is drawn 1px wide at a pixel ratio of 1)
const HEAD = 24; // .block-head
const ID_ROW = 14; // .block-id
const TEXT_ROW = 36; // .block-summary: two lines of 14px and its margins
const EXITS_TOP = 3; // .block-exits: its top border and padding
const EXITS_BOTTOM = 4; // .block-exits: its bottom padding
const EXIT_ROW = 16; // .block-exits .exit
const HANDLE = 9; // .in-handle, .out-handle
const OUT_RIGHT = 5; // .out-handle's right: -5px (then React Flow moves it right by half its width)

/** What decides a block's size: its exits and which of its optional rows it shows. */
export interface BlockShape {
  exits: string[];
  summary: boolean;
  unknown: boolean;
}

/**
 * Return the shape of `block` drawn from `manifest` (undefined: a type the catalogue lacks), with
 * the exits BlockNodeView draws (a bot block's: its bot's intents, from `bots`).
 */
export function shapeOf(manifest: BlockManifest | undefined, block: Block,
  bots?: ReadonlyMap<string, string[]>): BlockShape {
  return { exits: exitsOf(manifest, block, bots), summary: summarize(block.config) !== "", unknown: !manifest };
}

/** Return a block's height in pixels. */
export function blockHeight(shape: BlockShape): number {
  const exits = shape.exits.length ? EXITS_TOP + EXIT_ROW * shape.exits.length + EXITS_BOTTOM : 0;
  return exitsTop(shape) + exits + BORDER;
}

/** Where the list of exits starts, from the block's top edge. */
function exitsTop(shape: BlockShape): number {
  return BORDER + HEAD + ID_ROW + (shape.summary ? TEXT_ROW : 0) + (shape.unknown ? TEXT_ROW : 0);
}

/** Return a block's handles as React Flow measures them: boxes relative to the block's corner. */
export function blockHandles(shape: BlockShape): NodeHandle[] {
  const height = blockHeight(shape);
  const handles: NodeHandle[] = [
    { id: null, type: "target", position: Position.Left, x: -HANDLE / 2, y: height / 2 - HANDLE / 2,
      width: HANDLE, height: HANDLE },
  ];
  const firstExit = exitsTop(shape) + EXITS_TOP;
  shape.exits.forEach((exit, index) => {
    // centred on its exit's row; outside the right border by OUT_RIGHT, then by half itself
    handles.push({ id: exit, type: "source", position: Position.Right,
      x: BLOCK_WIDTH - BORDER + OUT_RIGHT - HANDLE / 2, y: firstExit + EXIT_ROW * index + (EXIT_ROW - HANDLE) / 2,
      width: HANDLE, height: HANDLE });
  });
  return handles;
}

/**
 * Return `node` as React Flow should get it: with its size and handles as if React Flow had
 * measured them (`cache` keeps one copy a node, so React Flow sees the same object until the
 * node changes). React Flow still watches every block's size; as these figures are right, it finds
 * nothing changed and does nothing, where measuring a big flow's blocks re-drew all of them before
 * the first paint. A block whose size does change (an exit added) is measured and its node given
 * the measured size; such a node is handed on as it is, and the measured handles are used.
 */
export function withHandles(node: BlockNode, catalog: Catalog, cache: WeakMap<BlockNode, BlockNode>): BlockNode {
  if (node.measured?.width) return node;
  let shaped = cache.get(node);
  if (!shaped) {
    const shape = shapeOf(catalog.find(node.data.block.type), node.data.block, catalog.bots);
    shaped = { ...node, measured: { width: BLOCK_WIDTH, height: blockHeight(shape) }, handles: blockHandles(shape) };
    cache.set(node, shaped);
  }
  return shaped;
}
