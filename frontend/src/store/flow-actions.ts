// What the editor does with the server: save the draft (If-Match; a 409 is a conflict the user
// settles, never a silent overwrite), validate it as it changes, publish it, reload it.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, currentEtagOf } from "../lib/api";
import type { FlowDocument, Problem } from "../lib/types";
import type { EditorStore } from "./editor-store";

const VALIDATE_AFTER_MS = 700;

export interface Conflict {
  mine: FlowDocument;
  theirEtag: string | null;
}

export type SaveState = "idle" | "saving" | "saved" | "error";

/** Return the editor's server actions and their state, for the store of one flow. */
export function useFlowActions(store: EditorStore) {
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [saveState, setSaveState] = useState<SaveState>("idle");
  const [error, setError] = useState<string | null>(null);
  const validation = useRef(0);

  const validate = useCallback(async () => {
    const ticket = ++validation.current;
    const { flowId, document } = store.getState();
    try {
      const result = await api.validate(flowId, document());
      if (ticket === validation.current) store.getState().setProblems(result.problems);
    } catch {
      // the next change validates again; a failed validation is not the user's problem to solve
    }
  }, [store]);

  // validate once at open, then after each pause in editing
  useEffect(() => {
    validate();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = store.subscribe((state, before) => {
      if (state.nodes === before.nodes && state.edges === before.edges && state.base === before.base) return;
      clearTimeout(timer);
      timer = setTimeout(validate, VALIDATE_AFTER_MS);
    });
    return () => { clearTimeout(timer); unsubscribe(); };
  }, [store, validate]);

  /** Save the draft; return false when it was not saved (a conflict, a refusal). */
  const save = useCallback(async (): Promise<boolean> => {
    const state = store.getState();
    if (state.readOnly) return false;
    const doc = state.document();
    setSaveState("saving");
    setError(null);
    try {
      const saved = await api.saveDraft(state.flowId, doc, state.etag);
      store.getState().markSaved(saved.etag, doc);
      setSaveState("saved");
      return true;
    } catch (e) {
      setSaveState("error");
      if (e instanceof ApiError && e.code === "version_mismatch") {
        setConflict({ mine: doc, theirEtag: currentEtagOf(e) });
      } else {
        setError((e as Error).message);
      }
      return false;
    }
  }, [store]);

  /** Save first when there are unsaved changes (the simulator and diffs run the saved draft). */
  const ensureSaved = useCallback(async () => (store.getState().dirty ? save() : true), [store, save]);

  const reload = useCallback(async () => {
    const { flowId, load } = store.getState();
    const { doc, etag } = await api.draft(flowId);
    load(doc, etag);
    setConflict(null);
    setSaveState("idle");
    validate();
  }, [store, validate]);

  /** Keep my version as a new flow (a copy), and load theirs here. */
  const keepMineAsCopy = useCallback(async (newId: string) => {
    if (!conflict) return;
    const created = await api.createFlow(newId, conflict.mine.name);
    const copy: FlowDocument = { ...conflict.mine, id: created.id };
    await api.saveDraft(created.id, copy, created.etag);
    await reload();
    return created.id;
  }, [conflict, reload]);

  /** Publish the saved draft; a 422 puts its problems on the canvas. */
  const publish = useCallback(async (note: string): Promise<{ number: number } | { problems: Problem[] } | null> => {
    if (!(await ensureSaved())) return null;
    const { flowId, etag } = store.getState();
    try {
      const published = await api.publish(flowId, note, etag);
      return { number: published.number };
    } catch (e) {
      if (e instanceof ApiError && e.code === "invalid_flow") {
        const problems = problemsOf(e.details);
        store.getState().setProblems(problems);
        return { problems };
      }
      if (e instanceof ApiError && e.code === "version_mismatch") {
        setConflict({ mine: store.getState().document(), theirEtag: currentEtagOf(e) });
        return null;
      }
      throw e;
    }
  }, [store, ensureSaved]);

  return { save, ensureSaved, reload, validate, publish, keepMineAsCopy, conflict, setConflict, saveState, error, setError };
}

function problemsOf(details: unknown): Problem[] {
  if (Array.isArray(details)) return details as Problem[];
  if (details && typeof details === "object" && Array.isArray((details as { problems?: unknown }).problems)) {
    return (details as { problems: Problem[] }).problems;
  }
  return [];
}
