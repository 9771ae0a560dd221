// Publish the draft with a note; a flow with errors is refused and its problems are shown.
import { useState } from "react";
import type { FormEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Problem } from "../lib/types";
import { Dialog } from "./Dialog";

export function PublishDialog({ onPublish, onClose, title }: {
  onPublish: (note: string) => Promise<{ number: number } | { problems: Problem[] } | null>;
  onClose: (published: boolean) => void;
  /** What is published, when it is not a flow. */
  title?: string;
}) {
  const { t } = useTranslation();
  const heading = title ?? t("publish.title");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<number | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await onPublish(note);
      if (!result) onClose(false);
      else if ("number" in result) setDone(result.number);
      else setError(t("publish.invalid", { count: result.problems.filter((p) => p.severity === "error").length }));
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  if (done !== null) {
    return (
      <Dialog title={heading} onClose={() => onClose(true)}>
        <p role="status">{t("publish.done", { number: done })}</p>
        <div className="dialog-buttons"><button type="button" className="primary" autoFocus onClick={() => onClose(true)}>{t("common.close")}</button></div>
      </Dialog>
    );
  }
  return (
    <Dialog title={heading} onClose={() => onClose(false)}>
      <form onSubmit={submit} className="dialog-form">
        <p>{t("publish.explain")}</p>
        <label>{t("publish.note")}
          <textarea autoFocus rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="dialog-buttons">
          <button type="button" onClick={() => onClose(false)}>{t("common.cancel")}</button>
          <button type="submit" className="primary" disabled={busy}>{t("publish.submit")}</button>
        </div>
      </form>
    </Dialog>
  );
}
