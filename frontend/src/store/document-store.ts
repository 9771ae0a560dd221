// The bot and responses editors' state: one document, the ETag of the copy it was read from,
// and what the server said of the last save or publish. Saves name that ETag (If-Match): a 409
// is a conflict the user settles (reload theirs, or keep mine as a copy), never an overwrite.
import { createStore } from "zustand/vanilla";
import type { StoreApi } from "zustand/vanilla";
import { ApiError, currentEtagOf, documents } from "../lib/api";
import type { DocumentKind } from "../lib/api";
import type { Problem } from "../lib/types";

export type SaveState = "idle" | "saving" | "saved" | "error";

export interface DocumentState<T extends { id: string }> {
  kind: DocumentKind;
  id: string;
  doc: T;
  etag: string | null;
  dirty: boolean;
  saveState: SaveState;
  /** Set when a save or publish met another copy than the one read (409 version_mismatch). */
  conflict: { theirEtag: string | null } | null;
  /** How many times the working copy was read again: the forms' uncontrolled fields key on it. */
  loaded: number;
  /** How many publishes (and rollbacks) this editor made: what has the versions read again. */
  published: number;
  /** The problems of the last refused publish. */
  problems: Problem[];
  error: string | null;
  change: (edit: (doc: T) => T) => void;
  save: () => Promise<boolean>;
  publish: (note: string) => Promise<{ number: number } | { problems: Problem[] } | null>;
  reload: () => Promise<void>;
  keepCopy: (newId: string) => Promise<string | undefined>;
  dismissConflict: () => void;
  /** Take in that an earlier version was published again (the working copy may be it now). */
  restored: () => Promise<void>;
}

export type DocumentStore<T extends { id: string }> = StoreApi<DocumentState<T>>;

/** Make the store of one bot or responses set, read as `doc` with the ETag `etag`. */
export function createDocumentStore<T extends { id: string }>(kind: DocumentKind, doc: T, etag: string | null): DocumentStore<T> {
  return createStore<DocumentState<T>>()((set, get) => {
    /** Run a write; turn a 409 into a conflict and any other refusal into an error. */
    const guarded = async <R>(work: () => Promise<R>): Promise<R | null> => {
      try {
        return await work();
      } catch (e) {
        if (e instanceof ApiError && e.code === "version_mismatch") {
          set({ conflict: { theirEtag: currentEtagOf(e) }, saveState: "error" });
          return null;
        }
        set({ saveState: "error", error: (e as Error).message });
        throw e;
      }
    };

    return {
      kind, id: doc.id, doc, etag, dirty: false, saveState: "idle", conflict: null, loaded: 0, published: 0, problems: [], error: null,

      change(edit) {
        set((s) => ({ doc: edit(s.doc), dirty: true, saveState: "idle" }));
      },

      async save() {
        const { id, doc: current, etag: base } = get();
        set({ saveState: "saving", error: null });
        const saved = await guarded(() => documents.saveDraft(kind, id, current, base));
        if (!saved) return false;
        // a change made while the save was under way stays unsaved
        set((s) => ({ etag: saved.etag, dirty: s.doc !== current, saveState: "saved" }));
        return true;
      },

      async publish(note) {
        if (get().dirty && !(await get().save())) return null;
        try {
          const published = await guarded(() => documents.publish(kind, get().id, note, get().etag));
          if (!published) return null;
          const fresh = await documents.draft<T>(kind, get().id);
          set((s) => ({ etag: fresh.etag, problems: [], published: s.published + 1 }));
          return { number: published.number };
        } catch (e) {
          if (e instanceof ApiError && e.status === 422 && Array.isArray(e.details)) {
            const problems = e.details as Problem[];
            set({ problems, error: null, saveState: "idle" });
            return { problems };
          }
          throw e;
        }
      },

      async reload() {
        const fresh = await documents.draft<T>(kind, get().id);
        set((s) => ({ doc: fresh.doc, etag: fresh.etag, dirty: false, conflict: null, saveState: "idle", problems: [], loaded: s.loaded + 1 }));
      },

      async keepCopy(newId) {
        const created = await documents.create(kind, newId);
        const copy = { ...get().doc, id: newId };
        await documents.saveDraft(kind, newId, copy, created.etag);
        set({ conflict: null });
        return newId;
      },

      dismissConflict() {
        set({ conflict: null });
      },

      async restored() {
        await get().reload();
        set((s) => ({ published: s.published + 1 }));
      },
    };
  });
}
