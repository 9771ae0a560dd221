// The canvas page of one flow: loads the block catalogue and the draft, makes the editor's store
// and lays out the palette, the canvas, the toolbar and the side panels.
import { useEffect, useState } from "react";
import { useParams } from "react-router-dom";
import { ReactFlowProvider } from "@xyflow/react";
import { useTranslation } from "react-i18next";
import i18next from "i18next";
import { api, ApiError } from "../lib/api";
import { Catalog } from "../lib/catalog";
import { intentExits } from "../lib/bot-doc";
import type { BotSummary } from "../lib/types";
import { createEditorStore } from "../store/editor-store";
import type { EditorStore } from "../store/editor-store";
import { EditorContext } from "../store/context";
import { canEdit, useSession } from "../store/session";
import { Header } from "../components/Header";
import { EditorView } from "../components/EditorView";

/**
 * Return the block catalogue with the live bots' intent exits, asked of the server once per
 * flow opened (a bot published meanwhile gives its `bot` blocks their new exits).
 */
function loadCatalog(): Promise<Catalog> {
  return Promise.all([api.blocks(), api.bots().catch(() => ({ bots: [] }))])
    .then(([answer, { bots }]) => new Catalog(answer.blocks, botExits(bots)));
}

function botExits(bots: BotSummary[]): Map<string, string[]> {
  return new Map(bots.filter((bot) => bot.intents).map((bot) => [bot.id, intentExits(bot.intents!)]));
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
