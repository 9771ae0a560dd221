// The editor's layout: the toolbar over palette, canvas and side panels, the keyboard
// shortcuts, and the save, publish and conflict dialogs.
import { useCallback, useEffect, useState } from "react";
import { useBeforeUnload } from "react-router-dom";
import { useReactFlow } from "@xyflow/react";
import { useTranslation } from "react-i18next";
import { useShallow } from "zustand/react/shallow";
import { autoLayout } from "../lib/layout";
import { useEditor, useEditorStore } from "../store/context";
import { useFlowActions } from "../store/flow-actions";
import { Header } from "./Header";
import { Icon } from "./Icon";
import { Palette } from "./Palette";
import { Canvas } from "./canvas/Canvas";
import { SearchBox } from "./SearchBox";
import { ConflictDialog } from "./ConflictDialog";
import { PublishDialog } from "./PublishDialog";
import { SidePanel } from "./panels/SidePanel";
import type { Tab } from "./panels/SidePanel";

export function EditorView() {
  const { t } = useTranslation();
  const store = useEditorStore();
  const flow = useReactFlow();
  const actions = useFlowActions(store);
  const { name, flowId, dirty, readOnly, canUndo, canRedo, errors } = useEditor(useShallow((s) => ({
    name: s.base.name, flowId: s.flowId, dirty: s.dirty, readOnly: s.readOnly,
    canUndo: s.past.length > 0, canRedo: s.future.length > 0,
    errors: s.problems.filter((p) => p.severity === "error").length,
  })));
  const selected = useEditor((s) => s.selected);
  const [tab, setTab] = useState<Tab>("block");
  const [publishing, setPublishing] = useState(false);
  const [layingOut, setLayingOut] = useState(false);
  const [versionsKey, setVersionsKey] = useState(0);

  useBeforeUnload(useCallback((event: BeforeUnloadEvent) => {
    if (store.getState().dirty) event.preventDefault();
  }, [store]));

  useEffect(() => { if (selected) setTab("block"); }, [selected]);

  const layout = async () => {
    setLayingOut(true);
    try {
      const { nodes, edges, applyPositions } = store.getState();
      // the sizes React Flow holds: measured, or known before drawing (canvas/geometry.ts)
      const sizes = nodes.map((n) => ({ id: n.id, size: flow.getInternalNode(n.id)?.measured ?? n.measured }));
      const positions = await autoLayout(
        sizes.map(({ id, size }) => ({ id, width: size?.width ?? 240, height: size?.height ?? 120 })), edges);
      applyPositions(positions);
      requestAnimationFrame(() => flow.fitView({ padding: 0.1, maxZoom: 1, duration: 300 }));
    } finally {
      setLayingOut(false);
    }
  };

  useKeyboard(actions.save);

  const status = actions.saveState === "saving" ? t("editor.saving")
    : dirty ? t("editor.unsaved") : actions.saveState === "saved" ? t("editor.saved") : t("editor.upToDate");
  return (
    <div className="page editor-page">
      <Header>
        <span className="flow-title" title={flowId}>{name || flowId}</span>
        <span className={`save-state ${dirty ? "dirty" : ""}`} role="status">{status}</span>
        {readOnly && <span className="badge">{t("editor.readOnly")}</span>}
      </Header>
      <div className="toolbar" role="toolbar" aria-label={t("editor.toolbar")}>
        <button type="button" className="primary" disabled={readOnly || actions.saveState === "saving"} onClick={actions.save}
          title={t("editor.saveKey")}><Icon name="save" /> {t("editor.save")}</button>
        <button type="button" disabled={readOnly} onClick={() => setPublishing(true)}><Icon name="upload" /> {t("editor.publish")}</button>
        <span className="separator" />
        <button type="button" className="icon-button" disabled={!canUndo || readOnly} onClick={() => store.getState().undo()}
          aria-label={t("editor.undo")} title={t("editor.undo")}><Icon name="undo-2" /></button>
        <button type="button" className="icon-button" disabled={!canRedo || readOnly} onClick={() => store.getState().redo()}
          aria-label={t("editor.redo")} title={t("editor.redo")}><Icon name="redo-2" /></button>
        <button type="button" className="icon-button" disabled={readOnly}
          onClick={() => copyToClipboard(store.getState().copySelected())} aria-label={t("editor.copy")} title={t("editor.copy")}><Icon name="copy" /></button>
        <button type="button" className="icon-button" disabled={readOnly} onClick={() => store.getState().deleteSelected()}
          aria-label={t("editor.delete")} title={t("editor.delete")}><Icon name="trash-2" /></button>
        <span className="separator" />
        <button type="button" disabled={readOnly || layingOut} onClick={layout}><Icon name="layout-grid" /> {t("editor.autoLayout")}</button>
        <button type="button" className="icon-button" onClick={() => flow.fitView({ padding: 0.1, maxZoom: 1, duration: 300 })}
          aria-label={t("editor.fitView")} title={t("editor.fitView")}><Icon name="maximize" /></button>
        <SearchBox />
        <span className="spacer" />
        <button type="button" className={`problems-button ${errors ? "has-errors" : ""}`} onClick={() => setTab("problems")}>
          <Icon name={errors ? "circle-alert" : "list-checks"} /> {t("editor.problemCount", { count: errors })}
        </button>
      </div>
      {actions.error && (
        <p className="error banner" role="alert">{t("error.generic", { message: actions.error })}
          <button type="button" className="icon-button" aria-label={t("common.close")} onClick={() => actions.setError(null)}><Icon name="x" /></button>
        </p>
      )}
      <div className="workspace">
        <Palette />
        <Canvas />
        <SidePanel tab={tab} setTab={setTab} ensureSaved={actions.ensureSaved} versionsKey={versionsKey}
          onRestored={() => actions.reload()} />
      </div>
      {actions.conflict && (
        <ConflictDialog flowId={flowId} onReload={() => actions.reload()} onKeepCopy={actions.keepMineAsCopy}
          onClose={() => actions.setConflict(null)} />
      )}
      {publishing && (
        <PublishDialog onPublish={actions.publish} onClose={(published) => {
          setPublishing(false);
          if (published) setVersionsKey((n) => n + 1);
          else if (store.getState().problems.some((p) => p.severity === "error")) setTab("problems");
        }} />
      )}
    </div>
  );
}

/** Copy text to the system clipboard, and keep it here for a paste when that is refused. */
let internalClipboard: string | null = null;
function copyToClipboard(text: string | null): void {
  if (!text) return;
  internalClipboard = text;
  navigator.clipboard?.writeText(text).catch(() => undefined);
}

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

/** Ctrl/Cmd + S, Z, Shift+Z, Y, C, X, V, A on the canvas (not while typing in a field). */
function useKeyboard(save: () => Promise<boolean>) {
  const store = useEditorStore();
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      if (!mod) return;
      const key = event.key.toLowerCase();
      if (key === "s") {
        event.preventDefault();
        save();
        return;
      }
      if (isTyping(event.target)) return;
      const state = store.getState();
      if (key === "z" && !event.shiftKey) { event.preventDefault(); state.undo(); }
      else if ((key === "z" && event.shiftKey) || key === "y") { event.preventDefault(); state.redo(); }
      else if (key === "c") copyToClipboard(state.copySelected());
      else if (key === "x") { copyToClipboard(state.copySelected()); state.deleteSelected(); }
      else if (key === "a") { event.preventDefault(); state.selectOnly(state.nodes.map((n) => n.id)); }
    };
    const onPaste = (event: ClipboardEvent) => {
      if (isTyping(event.target)) return;
      const text = event.clipboardData?.getData("text/plain") || internalClipboard;
      if (!text) return;
      const pasted = store.getState().paste(text);
      if (pasted.length) event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("paste", onPaste);
    };
  }, [store, save]);
}
