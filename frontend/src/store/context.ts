// The editor's store reaches its components through one React context.
import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { EditorState, EditorStore } from "./editor-store";

export const EditorContext = createContext<EditorStore | null>(null);

/** Return the store of the editor this component is in. */
export function useEditorStore(): EditorStore {
  const store = useContext(EditorContext);
  if (!store) throw new Error("useEditor outside an editor");
  return store;
}

/** Select a slice of the editor's state (re-renders only when that slice changes). */
export function useEditor<T>(selector: (state: EditorState) => T): T {
  return useStore(useEditorStore(), selector);
}
