// Someone else saved this flow (or bot, or responses set) since it was opened: reload theirs,
// or keep mine as a copy. Never a silent overwrite.
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { Dialog } from "./Dialog";

export function ConflictDialog({ flowId, onReload, onKeepCopy, onClose, pathOf = (id) => `/flows/${encodeURIComponent(id)}`, title }: {
  flowId: string;
  onReload: () => Promise<void>;
  onKeepCopy: (newId: string) => Promise<string | undefined>;
  onClose: () => void;
  /** Where the copy is opened. */
  pathOf?: (id: string) => string;
  /** What was changed, when it is not a flow. */
  title?: string;
}) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [copyId, setCopyId] = useState(`${flowId}_mine`);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={title ?? t("conflict.title")} onClose={onClose}>
      <p>{t("conflict.explain")}</p>
      <div className="conflict-choices">
        <section>
          <h3>{t("conflict.reloadTitle")}</h3>
          <p className="muted">{t("conflict.reloadExplain")}</p>
          <button type="button" className="primary" disabled={busy} onClick={() => run(onReload)}>{t("conflict.reload")}</button>
        </section>
        <section>
          <h3>{t("conflict.copyTitle")}</h3>
          <p className="muted">{t("conflict.copyExplain")}</p>
          <label>{t("flows.id")}<input value={copyId} onChange={(e) => setCopyId(e.target.value)} /></label>
          <button type="button" disabled={busy || !copyId} onClick={() => run(async () => {
            const id = await onKeepCopy(copyId);
            if (id) navigate(pathOf(id));
          })}>{t("conflict.keepCopy")}</button>
        </section>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="dialog-buttons">
        <button type="button" onClick={onClose}>{t("conflict.later")}</button>
      </div>
    </Dialog>
  );
}
