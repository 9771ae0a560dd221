// One zustand store per open editor, made by `createEditorStore` (xyflow's model): the graph,
// the flow-level fields, selection, undo/redo, the clipboard, server problems and the marks that
// the simulator, executions and version diffs put on the canvas.
import { applyEdgeChanges, applyNodeChanges } from "@xyflow/react";
import type { Connection, EdgeChange, NodeChange, XYPosition } from "@xyflow/react";
import { createStore } from "zustand/vanilla";
import { Catalog, startingConfig } from "../lib/catalog";
import { exitsOf, renamedExits } from "../lib/exits";
import {
  documentToGraph, edgeId, freshId, graphToDocument, makeEdge, NODE_TYPE,
} from "../lib/flow-format";
import type { BlockNode, FlowEdge } from "../lib/flow-format";
import { countByBlock } from "../lib/problems";
import type { BlockProblems } from "../lib/problems";
import type { Block, FlowDocument, JsonObject, Problem } from "../lib/types";

const HISTORY = 100;
const COALESCE_MS = 800;

interface Snapshot {
  base: FlowDocument;
  nodes: BlockNode[];
  edges: FlowEdge[];
}

/** What a mark on a block or edge means; the canvas colours each differently. */
export type Mark = "walked" | "current" | "added" | "removed" | "changed" | "moved";

export interface Marks {
  kind: "simulation" | "execution" | "diff" | null;
  blocks: Record<string, Mark>;
  edges: Record<string, Mark>;
}

export interface Focus {
  block: string;
  field?: string[];
  seq: number;
}

export interface EditorState {
  flowId: string;
  catalog: Catalog;
  base: FlowDocument;
  etag: string | null;
  nodes: BlockNode[];
  edges: FlowEdge[];
  dirty: boolean;
  readOnly: boolean;
  selected: string | null;
  past: Snapshot[];
  future: Snapshot[];
  problems: Problem[];
  problemCounts: Record<string, BlockProblems>;
  marks: Marks;
  ghosts: BlockNode[];
  focus: Focus | null;
  lastEdit: { key: string; at: number } | null;

  load(doc: FlowDocument, etag: string | null): void;
  document(): FlowDocument;
  markSaved(etag: string, savedDoc?: FlowDocument): void;
  setReadOnly(readOnly: boolean): void;
  onNodesChange(changes: NodeChange<BlockNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  beginDrag(): void;
  connect(connection: Connection): void;
  addBlock(type: string, position: XYPosition): string | null;
  updateBlock(id: string, patch: Partial<Pick<Block, "config" | "label" | "notes">>): void;
  renameBlock(id: string, newId: string): boolean;
  updateFlow(patch: Partial<FlowDocument>): void;
  setStart(id: string): void;
  select(id: string | null): void;
  selectOnly(ids: string[]): void;
  deleteSelected(): void;
  copySelected(): string | null;
  paste(text: string, at?: XYPosition): string[];
  undo(): void;
  redo(): void;
  applyPositions(positions: Record<string, XYPosition>): void;
  setProblems(problems: Problem[]): void;
  setMarks(marks: Marks, ghosts?: BlockNode[]): void;
  clearMarks(): void;
  focusBlock(block: string, field?: string[]): void;
}

export type EditorStore = ReturnType<typeof createEditorStore>;

const NO_MARKS: Marks = { kind: null, blocks: {}, edges: {} };

/** Make the store of one editor over `doc`, with the block catalogue it draws from. */
export function createEditorStore(flowId: string, catalog: Catalog, doc: FlowDocument, etag: string | null) {
  const graph = documentToGraph(doc);
  return createStore<EditorState>()((set, get) => {
    /** Remember the state before a change, for undo; `key` coalesces a run of typing. */
    const remember = (key?: string) => {
      const state = get();
      const now = Date.now();
      if (key && state.lastEdit?.key === key && now - state.lastEdit.at < COALESCE_MS) {
        set({ lastEdit: { key, at: now } });
        return;
      }
      const snapshot: Snapshot = { base: state.base, nodes: state.nodes, edges: state.edges };
      set({ past: [...state.past.slice(-(HISTORY - 1)), snapshot], future: [], lastEdit: key ? { key, at: now } : null });
    };

    const patchNode = (id: string, change: (node: BlockNode) => BlockNode) =>
      set((state) => ({ nodes: state.nodes.map((node) => (node.id === id ? change(node) : node)), dirty: true }));

    return {
      flowId,
      catalog,
      base: doc,
      etag,
      nodes: graph.nodes,
      edges: graph.edges,
      dirty: false,
      readOnly: false,
      selected: null,
      past: [],
      future: [],
      problems: [],
      problemCounts: {},
      marks: NO_MARKS,
      ghosts: [],
      focus: null,
      lastEdit: null,

      load(next, nextEtag) {
        const { nodes, edges } = documentToGraph(next);
        set({ base: next, etag: nextEtag, nodes, edges, dirty: false, selected: null, past: [], future: [],
          marks: NO_MARKS, ghosts: [], lastEdit: null });
      },

      document() {
        const { base, nodes, edges } = get();
        return graphToDocument(base, nodes, edges);
      },

      markSaved(nextEtag) {
        set({ etag: nextEtag, dirty: false });
      },

      setReadOnly(readOnly) {
        set({ readOnly });
      },

      onNodesChange(changes) {
        if (get().readOnly) changes = changes.filter((c) => c.type === "select" || c.type === "dimensions");
        if (!changes.length) return;
        const meaningful = changes.some((c) => c.type === "remove" || c.type === "add");
        if (meaningful) remember();
        const moved = changes.some((c) => c.type === "position" || c.type === "remove" || c.type === "add");
        set((state) => {
          const nodes = applyNodeChanges(changes, state.nodes);
          const removed = new Set(changes.filter((c) => c.type === "remove").map((c) => c.id));
          const edges = removed.size
            ? state.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target))
            : state.edges;
          const selected = selectionOf(nodes, state.selected, changes);
          return { nodes, edges, selected, dirty: state.dirty || moved };
        });
      },

      onEdgesChange(changes) {
        if (get().readOnly) changes = changes.filter((c) => c.type === "select");
        if (!changes.length) return;
        if (changes.some((c) => c.type === "remove")) remember();
        set((state) => ({
          edges: applyEdgeChanges(changes, state.edges),
          dirty: state.dirty || changes.some((c) => c.type === "remove"),
        }));
      },

      beginDrag() {
        remember();
      },

      connect({ source, sourceHandle, target }) {
        if (get().readOnly || !source || !target || !sourceHandle) return;
        remember();
        set((state) => ({
          // one exit leads to one block: a new connection from an exit replaces the old one
          edges: [...state.edges.filter((e) => !(e.source === source && e.sourceHandle === sourceHandle)),
            makeEdge(source, sourceHandle, target)],
          dirty: true,
        }));
      },

      addBlock(type, position) {
        const state = get();
        if (state.readOnly) return null;
        const manifest = state.catalog.find(type);
        const taken = new Set(state.nodes.map((n) => n.id));
        const id = freshId(type.split("@")[0].split(".").pop() ?? "block", taken);
        const config = manifest ? startingConfig(manifest) : {};
        const block: Block = { type, config, exits: {} };
        remember();
        const node: BlockNode = { id, type: NODE_TYPE, position: roundPosition(position), data: { block }, selected: true };
        set((s) => ({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node],
          selected: id,
          dirty: true,
        }));
        return id;
      },

      updateBlock(id, patch) {
        const state = get();
        if (state.readOnly) return;
        const node = state.nodes.find((n) => n.id === id);
        if (!node) return;
        remember(`block:${id}:${Object.keys(patch).join(",")}`);
        const block: Block = { ...node.data.block, ...patch };
        patchNode(id, (n) => ({ ...n, data: { ...n.data, block } }));
        if (patch.config) {
          const manifest = state.catalog.find(block.type);
          if (manifest) set((s) => ({ edges: followExits(s.edges, id, manifest, node.data.block.config ?? {}, patch.config!, block, s.catalog.bots) }));
        }
      },

      renameBlock(id, newId) {
        const state = get();
        if (state.readOnly || id === newId) return false;
        if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(newId) || state.nodes.some((n) => n.id === newId)) return false;
        remember();
        const rename = (value: string) => (value === id ? newId : value);
        set((s) => ({
          nodes: s.nodes.map((n) => (n.id === id ? { ...n, id: newId } : n)),
          edges: s.edges.map((e) => (e.source === id || e.target === id
            ? { ...e, id: edgeId(rename(e.source), e.sourceHandle ?? ""), source: rename(e.source), target: rename(e.target) }
            : e)),
          base: { ...s.base, start: rename(s.base.start), ...(s.base.layout?.[id] ? { layout: renameKey(s.base.layout, id, newId) } : {}) },
          selected: s.selected === id ? newId : s.selected,
          dirty: true,
        }));
        return true;
      },

      updateFlow(patch) {
        if (get().readOnly) return;
        remember(`flow:${Object.keys(patch).join(",")}`);
        set((s) => ({ base: { ...s.base, ...patch }, dirty: true }));
      },

      setStart(id) {
        if (get().readOnly || get().base.start === id) return;
        remember();
        set((s) => ({ base: { ...s.base, start: id }, dirty: true }));
      },

      select(id) {
        set((s) => ({
          selected: id,
          nodes: s.nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })),
        }));
      },

      selectOnly(ids) {
        const wanted = new Set(ids);
        set((s) => ({
          selected: ids.length === 1 ? ids[0] : null,
          nodes: s.nodes.map((n) => (!!n.selected === wanted.has(n.id) ? n : { ...n, selected: wanted.has(n.id) })),
        }));
      },

      deleteSelected() {
        const state = get();
        if (state.readOnly) return;
        const gone = new Set(state.nodes.filter((n) => n.selected).map((n) => n.id));
        const edgesGone = state.edges.filter((e) => e.selected).map((e) => e.id);
        if (!gone.size && !edgesGone.length) return;
        remember();
        set((s) => ({
          nodes: s.nodes.filter((n) => !gone.has(n.id)),
          edges: s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target)),
          selected: s.selected && gone.has(s.selected) ? null : s.selected,
          dirty: true,
        }));
      },

      copySelected() {
        const state = get();
        const chosen = state.nodes.filter((n) => n.selected);
        if (!chosen.length) return null;
        const ids = new Set(chosen.map((n) => n.id));
        const part: FlowDocument = graphToDocument(
          { schema: state.base.schema, id: state.base.id, start: chosen[0].id, blocks: {}, layout: {} },
          chosen, state.edges.filter((e) => ids.has(e.source) && ids.has(e.target)));
        return JSON.stringify({ callwright: "blocks@1", blocks: part.blocks, layout: part.layout });
      },

      paste(text, at) {
        const state = get();
        if (state.readOnly) return [];
        let clip: { callwright?: string; blocks?: Record<string, Block>; layout?: Record<string, XYPosition> };
        try {
          clip = JSON.parse(text);
        } catch {
          return [];
        }
        if (clip?.callwright !== "blocks@1" || !clip.blocks || typeof clip.blocks !== "object") return [];
        const taken = new Set(state.nodes.map((n) => n.id));
        const renamed = new Map<string, string>();
        for (const id of Object.keys(clip.blocks)) {
          const fresh = freshId(id, taken);
          taken.add(fresh);
          renamed.set(id, fresh);
        }
        const places = Object.values(clip.layout ?? {});
        const minX = Math.min(...places.map((p) => p.x), Infinity);
        const minY = Math.min(...places.map((p) => p.y), Infinity);
        const origin = at ?? { x: (isFinite(minX) ? minX : 0) + 40, y: (isFinite(minY) ? minY : 0) + 40 };
        const nodes: BlockNode[] = [];
        const edges: FlowEdge[] = [];
        Object.entries(clip.blocks).forEach(([id, block], index) => {
          const place = clip.layout?.[id] ?? { x: index * 40, y: index * 40 };
          const newId = renamed.get(id)!;
          const exits: Record<string, string> = {};
          for (const [exit, target] of Object.entries(block.exits ?? {})) {
            if (renamed.has(target)) {
              exits[exit] = renamed.get(target)!;
              edges.push(makeEdge(newId, exit, renamed.get(target)!));
            }
          }
          const position = roundPosition({
            x: origin.x + place.x - (isFinite(minX) ? minX : 0),
            y: origin.y + place.y - (isFinite(minY) ? minY : 0),
          });
          nodes.push({ id: newId, type: NODE_TYPE, position, selected: true, data: { block: { ...block, exits } } });
        });
        remember();
        set((s) => ({
          nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes],
          edges: [...s.edges, ...edges],
          selected: nodes.length === 1 ? nodes[0].id : null,
          dirty: true,
        }));
        return nodes.map((n) => n.id);
      },

      undo() {
        const state = get();
        const previous = state.past[state.past.length - 1];
        if (!previous || state.readOnly) return;
        const current: Snapshot = { base: state.base, nodes: state.nodes, edges: state.edges };
        set({ ...previous, past: state.past.slice(0, -1), future: [current, ...state.future], dirty: true, lastEdit: null,
          selected: previous.nodes.some((n) => n.id === state.selected) ? state.selected : null });
      },

      redo() {
        const state = get();
        const next = state.future[0];
        if (!next || state.readOnly) return;
        const current: Snapshot = { base: state.base, nodes: state.nodes, edges: state.edges };
        set({ ...next, past: [...state.past, current], future: state.future.slice(1), dirty: true, lastEdit: null,
          selected: next.nodes.some((n) => n.id === state.selected) ? state.selected : null });
      },

      applyPositions(positions) {
        if (get().readOnly) return;
        remember();
        set((s) => ({
          nodes: s.nodes.map((n) => (positions[n.id] ? { ...n, position: roundPosition(positions[n.id]) } : n)),
          dirty: true,
        }));
      },

      setProblems(problems) {
        set({ problems, problemCounts: countByBlock(problems) });
      },

      setMarks(marks, ghosts = []) {
        set({ marks, ghosts });
      },

      clearMarks() {
        set({ marks: NO_MARKS, ghosts: [] });
      },

      focusBlock(block, field) {
        set((s) => ({ focus: { block, field, seq: (s.focus?.seq ?? 0) + 1 } }));
        get().select(block);
      },
    };
  });
}

function selectionOf(nodes: BlockNode[], current: string | null, changes: NodeChange<BlockNode>[]): string | null {
  if (!changes.some((c) => c.type === "select" || c.type === "remove")) return current;
  const chosen = nodes.filter((n) => n.selected);
  if (chosen.length === 1) return chosen[0].id;
  if (chosen.length === 0) return null;
  return null;
}

/** Keep edges on the exits a config change leaves: follow renamed exits, drop vanished ones. */
function followExits(edges: FlowEdge[], id: string, manifest: Parameters<typeof exitsOf>[0] & object,
  before: JsonObject, after: JsonObject, block: Block, bots: ReadonlyMap<string, string[]>): FlowEdge[] {
  const renames = renamedExits(manifest, before, after);
  const exits = new Set(exitsOf(manifest, block, bots));
  let changed = false;
  const next: FlowEdge[] = [];
  for (const edge of edges) {
    if (edge.source !== id) {
      next.push(edge);
      continue;
    }
    const handle = edge.sourceHandle ?? "";
    const renamed = renames.get(handle);
    if (renamed && !edges.some((e) => e.source === id && e.sourceHandle === renamed)) {
      next.push(makeEdge(id, renamed, edge.target));
      changed = true;
    } else if (exits.has(handle)) {
      next.push(edge);
    } else {
      changed = true;
    }
  }
  return changed ? next : edges;
}

function roundPosition(position: XYPosition): XYPosition {
  return { x: Math.round(position.x), y: Math.round(position.y) };
}

function renameKey<T>(record: Record<string, T>, from: string, to: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(record)) out[key === from ? to : key] = value;
  return out;
}

/** The flow's own fields a form edits (the rest of `base` is kept as it is). */
export function flowFields(doc: FlowDocument): Pick<FlowDocument, "name" | "description" | "settings" | "variables"> {
  return { name: doc.name, description: doc.description, settings: doc.settings, variables: doc.variables };
}
