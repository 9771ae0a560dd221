// The flow canvas: blocks and their connections, dropped from the palette, laid out, searched
// and marked by the simulator, executions and version diffs.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { DragEvent } from "react";
import { Background, Controls, getNodesBounds, getViewportForBounds, MiniMap, ReactFlow, useReactFlow, useStore } from "@xyflow/react";
import type { Edge, Viewport } from "@xyflow/react";
import { useTranslation } from "react-i18next";
import { useShallow } from "zustand/react/shallow";
import type { BlockNode } from "../../lib/flow-format";
import { ERROR_EXIT } from "../../lib/exits";
import { useEditor } from "../../store/context";
import { withHandles } from "./geometry";
import { nodeTypes } from "./nodeTypes";

export const DRAG_TYPE = "application/x-callwright-block";
const BIG_FLOW = 150; // from this many blocks on, zoomed in, only what is on screen is drawn
const FAR = 0.45; // below this zoom the blocks' small print is not painted (it cannot be read)
const MIN_ZOOM = 0.05;

export function Canvas() {
  const { t } = useTranslation();
  const { nodes, edges, ghosts, edgeMarks, readOnly, focus, catalog } = useEditor(useShallow((s) => ({
    nodes: s.nodes, edges: s.edges, ghosts: s.ghosts, edgeMarks: s.marks.edges, readOnly: s.readOnly, focus: s.focus,
    catalog: s.catalog,
  })));
  const actions = useEditor(useShallow((s) => ({
    onNodesChange: s.onNodesChange, onEdgesChange: s.onEdgesChange, connect: s.connect,
    addBlock: s.addBlock, beginDrag: s.beginDrag,
  })));
  const flow = useReactFlow();
  const big = nodes.length >= BIG_FLOW;
  const far = useStore((s) => s.transform[2] < FAR);

  // every block comes with its size and handles as if measured, so its connections are drawn with it
  const shaped = useMemo(() => new WeakMap<BlockNode, BlockNode>(), [catalog]);
  const shownNodes = useMemo(() => {
    const shown = nodes.map((node) => withHandles(node, catalog, shaped));
    return ghosts.length ? [...shown, ...ghosts.map((node) => withHandles(node, catalog, shaped))] : shown;
  }, [nodes, ghosts, catalog, shaped]);

  // The whole flow in view from the first frame: the blocks' sizes are known before they are
  // drawn, so the view that fits them is too. Only the canvas's own size is measured, once,
  // before the flow is first drawn (fitting after the blocks are measured drew them twice).
  const box = useRef<HTMLDivElement>(null);
  const [start, setStart] = useState<Viewport | null>(null);
  useLayoutEffect(() => {
    if (start || !box.current) return;
    const { width, height } = box.current.getBoundingClientRect();
    setStart(fittedView(shownNodes, width, height));
  }, [start, shownNodes]);
  const shownEdges = useMemo(() => styleEdges(edges, edgeMarks, far), [edges, edgeMarks, far]);

  useEffect(() => {
    if (!focus) return;
    const node = flow.getInternalNode(focus.block);
    if (!node) return;
    const width = node.measured.width ?? 220;
    const height = node.measured.height ?? 100;
    flow.setCenter(node.internals.positionAbsolute.x + width / 2, node.internals.positionAbsolute.y + height / 2,
      { zoom: Math.max(flow.getZoom(), 1), duration: 300 });
  }, [focus, flow]);

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  }, []);

  const onDrop = useCallback((event: DragEvent) => {
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    event.preventDefault();
    const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    actions.addBlock(type, { x: position.x - 110, y: position.y - 30 });
  }, [flow, actions]);

  return (
    <div ref={box} className={far ? "canvas far" : "canvas"} onDragOver={onDragOver} onDrop={onDrop}>
      {start && <ReactFlow<BlockNode, Edge>
        nodes={shownNodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        onNodesChange={actions.onNodesChange}
        onEdgesChange={actions.onEdgesChange}
        onConnect={actions.connect}
        onNodeDragStart={actions.beginDrag}
        onSelectionDragStart={actions.beginDrag}
        nodesConnectable={!readOnly}
        nodesDraggable={!readOnly}
        deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        selectionKeyCode="Shift"
        // Zoomed far out most of a big flow is on screen: drawing only the visible part would
        // add and remove blocks and connections on every frame of a pan (and measure each one
        // added), for nothing saved. Zoomed in, it keeps a big flow's panning light.
        onlyRenderVisibleElements={big && !far}
        defaultViewport={start}
        minZoom={MIN_ZOOM}
        maxZoom={2}
        defaultEdgeOptions={{ type: "smoothstep" }}
        proOptions={{ hideAttribution: true }}
        aria-label={t("canvas.label")}
      >
        <Background gap={20} />
        <MiniMap pannable zoomable ariaLabel={t("canvas.minimap")} nodeClassName={miniMapClass} />
        <Controls aria-label={t("canvas.controls")} showInteractive={false} />
      </ReactFlow>}
    </div>
  );
}

/**
 * Return the view that shows all of `nodes` in a canvas of this size, as fitView would, but with
 * a zoom of a whole number of 64ths and whole pixels of offset. React Flow measures each block
 * once as it appears and divides what it finds by the zoom: with such a view the handles come out
 * exactly where geometry.ts put them, so no connection is drawn again (any other zoom moves each
 * by a thousandth of a pixel, and React Flow redraws all 1,749 of a big flow before the first paint).
 */
function fittedView(nodes: BlockNode[], width: number, height: number): Viewport {
  if (!nodes.length || !width || !height) return { x: 0, y: 0, zoom: 1 };
  const bounds = getNodesBounds(nodes);
  const fit = getViewportForBounds(bounds, width, height, MIN_ZOOM, 1, 0.1);
  // (below 4/64 the exact fit: a 64th less would be too much of it; the connections are drawn again)
  const zoom = fit.zoom >= 4 / 64 ? Math.floor(fit.zoom * 64) / 64 : fit.zoom;
  // centred again at the rounded zoom
  const x = Math.round((width - bounds.width * zoom) / 2 - bounds.x * zoom);
  const y = Math.round((height - bounds.height * zoom) / 2 - bounds.y * zoom);
  return { x, y, zoom };
}

function miniMapClass(node: BlockNode): string {
  return node.type === "ghost" ? "mini-ghost" : "mini-block";
}

/**
 * Give marked edges (walked paths) and error exits their classes, touching no other edge; zoomed
 * far out, give every edge no wider hit area than its line. That area is a second, invisible path
 * per connection (1,749 more elements to style, lay out and paint in a 1,000-block flow), there
 * to make lines easy to click that are a pixel wide at that zoom anyway.
 */
function styleEdges(edges: Edge[], marks: Record<string, string>, far: boolean): Edge[] {
  const marked = Object.keys(marks).length > 0;
  return edges.map((edge) => {
    const mark = marked ? marks[edge.id] : undefined;
    const error = edge.sourceHandle === ERROR_EXIT;
    if (!mark && !error) return far ? { ...edge, interactionWidth: 0 } : edge;
    const className = [mark ? `edge-${mark}` : "", error ? "edge-error" : ""].join(" ").trim();
    if (!far && edge.className === className && edge.animated === !!mark) return edge;
    return { ...edge, className, animated: !!mark, ...(far ? { interactionWidth: 0 } : {}) };
  });
}
