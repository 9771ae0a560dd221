// Save, publish and see the versions of a bot or responses set with the flow editor's dialogs: the publish dialog
// (a note; refused problems listed) and the conflict dialog (a 409: reload theirs or keep a copy).
import { useState } from "react";
import { useStore } from "zustand";
import { useTranslation } from "react-i18next";
import type { DocumentStore } from "../store/document-store";
import { PublishDialog } from "./PublishDialog";
import { ConflictDialog } from "./ConflictDialog";
import { Icon } from "./Icon";

export function DocumentToolbar<T extends { id: string }>({ store, readOnly, title, showingVersions, onVersions }: {
  store: DocumentStore<T>;
  readOnly: boolean;
  title: string;
  /** Whether the versions panel is open, and how to open or close it. */
  showingVersions: boolean;
  onVersions: () => void;
}) {
  const { t } = useTranslation();
  const [publishing, setPublishing] = useState(false);
  const state = useStore(store);
  const status = state.saveState === "saving" ? t("editor.saving")
    : state.saveState === "saved" && !state.dirty ? t("editor.saved")
      : state.dirty ? t("editor.unsaved") : "";

  return (
    <>
      <div className="toolbar document-toolbar" role="toolbar" aria-label={t("editor.toolbar")}>
        <h1>{title} <code className="muted">{state.id}</code></h1>
        <span className="spacer" />
        <span className="muted" role="status">{status}</span>
        <button type="button" aria-pressed={showingVersions} onClick={onVersions}>
          <Icon name="history" /> {t("versions.title")}
        </button>
        {!readOnly && <>
          <button type="button" disabled={state.saveState === "saving"} onClick={() => state.save().catch(() => undefined)}>
            <Icon name="save" /> {t("editor.save")}
          </button>
          <button type="button" className="primary" onClick={() => setPublishing(true)}>
            <Icon name="upload" /> {t("editor.publish")}
          </button>
        </>}
      </div>
      {state.error && <p className="error page-message" role="alert">{t("error.generic", { message: state.error })}</p>}
      {state.problems.length > 0 && (
        <ul className="document-problems" aria-label={t("problems.title")}>
          {state.problems.map((p, i) => <li key={i} className={p.severity}><code>{p.pointer || "/"}</code> {p.message}</li>)}
        </ul>
      )}
      {publishing && <PublishDialog onPublish={(note) => state.publish(note)} onClose={() => setPublishing(false)}
        title={state.kind === "bots" ? t("publish.titleBot") : t("publish.titleResponses")} />}
      {state.conflict && (
        <ConflictDialog flowId={state.id} onReload={() => state.reload()} onKeepCopy={(id) => state.keepCopy(id)}
          onClose={() => state.dismissConflict()} pathOf={(id) => `/${state.kind}/${encodeURIComponent(id)}`}
          title={state.kind === "bots" ? t("conflict.titleBot") : t("conflict.titleResponses")} />
      )}
    </>
  );
}
