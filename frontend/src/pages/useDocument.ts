// Load a bot's or responses set's working copy into its editor's store.
import { useEffect, useState } from "react";
import i18next from "i18next";
import { ApiError, documents } from "../lib/api";
import type { DocumentKind } from "../lib/api";
import { createDocumentStore } from "../store/document-store";
import type { DocumentStore } from "../store/document-store";

export function useDocument<T extends { id: string }>(kind: DocumentKind, id: string) {
  const [store, setStore] = useState<DocumentStore<T> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setStore(null);
    setError(null);
    documents.draft<T>(kind, id).then(({ doc, etag }) => {
      if (live) setStore(createDocumentStore<T>(kind, doc, etag));
    }).catch((e) => {
      if (live) setError(e instanceof ApiError && e.status === 404 ? i18next.t("editor.notFound", { id }) : i18next.t("error.generic", { message: (e as Error).message }));
    });
    return () => { live = false; };
  }, [kind, id]);
  return { store, error };
}
