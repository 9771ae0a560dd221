// The ONE place that converts between the flow document (DESIGN.md, schemas/flow.schema.json)
// and React Flow's nodes and edges. Whatever the editor does not know of a document (unknown
// top-level fields, unknown block fields, extra layout fields) comes back as it was: loading a
// document and saving it without edits gives back the same document, key order included.
import type { Edge, Node } from "@xyflow/react";
import type { Block, FlowDocument, Position } from "./types";

export const NODE_TYPE = "block";
export const GHOST_TYPE = "ghost";
/** A block's size before it is drawn (fit-to-view and the minimap of a big flow use it). */
export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 110;

export interface BlockNodeData extends Record<string, unknown> {
  /** The block as the document holds it (its `exits` are rebuilt from the edges on save). */
  block: Block;
  /** Where the block was placed on load when the document had no layout for it. */
  autoPlaced?: Position;
}

export type BlockNode = Node<BlockNodeData, typeof NODE_TYPE | typeof GHOST_TYPE>;
export type FlowEdge = Edge;
export interface Graph {
  nodes: BlockNode[];
  edges: FlowEdge[];
}

/** Return the id of the edge leaving `source` by `exit` (ids and exit names never hold a colon). */
export function edgeId(source: string, exit: string): string {
  return `${source}:${exit}`;
}

/** Return where to put the `index`th block the document gives no place to: a grid. */
export function gridPosition(index: number): Position {
  const COLUMNS = 10;
  return { x: (index % COLUMNS) * 280, y: Math.floor(index / COLUMNS) * 180 };
}

/** Turn a flow document into nodes (document order) and edges (exit order). */
export function documentToGraph(doc: FlowDocument): Graph {
  const nodes: BlockNode[] = [];
  const edges: FlowEdge[] = [];
  const layout = doc.layout ?? {};
  let unplaced = 0;
  for (const [id, block] of Object.entries(doc.blocks ?? {})) {
    const place = layout[id];
    const data: BlockNodeData = { block };
    let position: Position;
    if (place && typeof place.x === "number" && typeof place.y === "number") {
      position = { x: place.x, y: place.y };
    } else {
      position = gridPosition(unplaced++);
      data.autoPlaced = position;
    }
    nodes.push({ id, type: NODE_TYPE, position, data, initialWidth: NODE_WIDTH, initialHeight: NODE_HEIGHT });
    for (const [exit, target] of Object.entries(block.exits ?? {})) {
      edges.push(makeEdge(id, exit, target));
    }
  }
  return { nodes, edges };
}

/** Return the edge for `source`'s `exit` going to `target`. */
export function makeEdge(source: string, exit: string, target: string): FlowEdge {
  return { id: edgeId(source, exit), source, sourceHandle: exit, target };
}

/**
 * Turn nodes and edges back into a document, on top of `base` (the document as loaded, with the
 * flow-level changes made since: name, start, settings...). Ghost nodes (a diff's removed blocks)
 * are not part of the flow and are left out.
 */
export function graphToDocument(base: FlowDocument, nodes: BlockNode[], edges: FlowEdge[]): FlowDocument {
  const exitsBySource = new Map<string, FlowEdge[]>();
  for (const edge of edges) {
    const list = exitsBySource.get(edge.source);
    if (list) list.push(edge);
    else exitsBySource.set(edge.source, [edge]);
  }
  const blocks: Record<string, Block> = {};
  const places = new Map<string, Position>();
  const baseLayout = base.layout ?? {};
  for (const node of nodes) {
    if (node.type !== NODE_TYPE) continue;
    blocks[node.id] = withExits(node.data.block, exitsBySource.get(node.id) ?? []);
    const place = layoutEntry(node, baseLayout[node.id]);
    if (place) places.set(node.id, place);
  }
  // the document's layout order first; entries of ids that never were blocks are kept as they were
  const layout: Record<string, Position> = {};
  for (const [id, place] of Object.entries(baseLayout)) {
    if (places.has(id)) layout[id] = places.get(id)!;
    else if (!(id in (base.blocks ?? {}))) layout[id] = place;
  }
  for (const [id, place] of places) if (!(id in layout)) layout[id] = place;
  const doc: FlowDocument = { ...base, blocks };
  if (base.layout !== undefined || Object.keys(layout).length > 0) doc.layout = layout;
  return doc;
}

function withExits(block: Block, edges: FlowEdge[]): Block {
  const exits: Record<string, string> = {};
  const targets = new Map<string, string>();
  for (const edge of edges) targets.set(edge.sourceHandle ?? "", edge.target);
  // the document's own order first, so that an untouched block comes back byte for byte
  for (const exit of Object.keys(block.exits ?? {})) {
    const target = targets.get(exit);
    if (target !== undefined) exits[exit] = target;
  }
  for (const [exit, target] of targets) {
    if (!(exit in exits) && exit) exits[exit] = target;
  }
  if (block.exits === undefined && Object.keys(exits).length === 0) {
    const { exits: _dropped, ...rest } = block;
    return rest as Block;
  }
  if (sameExits(block.exits ?? {}, exits)) return block;
  return { ...block, exits };
}

function sameExits(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function layoutEntry(node: BlockNode, before: Position | undefined): Position | null {
  const { x, y } = node.position;
  if (before && before.x === x && before.y === y) return before;
  const auto = node.data.autoPlaced;
  if (!before && auto && auto.x === x && auto.y === y) return null; // never placed by anyone
  return before ? { ...before, x, y } : { x, y };
}

/** Return a new block of `type` with the config its schema's defaults give. */
export function newBlock(type: string, config: Block["config"] = {}): Block {
  return { type, config, exits: {} };
}

/** Return an id not used in `taken`, made from `stem` (`menu`, `menu_2`, `menu_3`...). */
export function freshId(stem: string, taken: { has(id: string): boolean }): string {
  const base = stem.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[^A-Za-z_]/, "_$&").slice(0, 120) || "block";
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}_${n}`;
    if (!taken.has(id)) return id;
  }
}
