// The canvas page of one flow: loads the block catalogue and the draft, makes the editor's store
// and lays out the palette, the canvas, the toolbar and the side panels.
import { useEffect, useState } from "react";
import { useParams } from "react-router-dom";
import { ReactFlowProvider } from "@xyflow/react";
import { useTranslation } from "react-i18next";
import i18next from "i18next";
import { api, ApiError } from "../lib/api";
import { Catalog } from "../lib/catalog";
import { createEditorStore } from "../store/editor-store";
import type { EditorStore } from "../store/editor-store";
import { EditorContext } from "../store/context";
import { canEdit, useSession } from "../store/session";
import { Header } from "../components/Header";
import { EditorView } from "../components/EditorView";

let catalogue: Promise<Catalog> | null = null;

/** Return the block catalogue, asked of the server once per page load. */
function loadCatalog(): Promise<Catalog> {
  catalogue ??= api.blocks().then((answer) => new Catalog(answer.blocks)).catch((error) => {
    catalogue = null;
    throw error;
  });
  return catalogue;
}

export function EditorPage() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const [store, setStore] = useState<EditorStore | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setStore(null);
    setError(null);
    Promise.all([loadCatalog(), api.draft(id)]).then(([catalog, { doc, etag }]) => {
      if (!live) return;
      const made = createEditorStore(id, catalog, doc, etag);
      made.getState().setReadOnly(!canEdit(useSession.getState().info));
      setStore(made);
    }).catch((e) => {
      if (live) setError(e instanceof ApiError && e.status === 404 ? i18next.t("editor.notFound", { id }) : i18next.t("error.generic", { message: (e as Error).message }));
    });
    return () => { live = false; };
  }, [id]);

  if (!store) {
    return (
      <div className="page">
        <Header />
        {error ? <p className="error page-message" role="alert">{error}</p> : <p className="page-message" role="status">{t("app.loading")}</p>}
      </div>
    );
  }
  return (
    <EditorContext.Provider value={store}>
      <ReactFlowProvider>
        <EditorView />
      </ReactFlowProvider>
    </EditorContext.Provider>
  );
}
