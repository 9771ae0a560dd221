// The published versions, newest first: show what changed since one (coloured on the canvas,
// removed blocks as ghosts) and restore one (published again as a new version).
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../lib/api";
import { when } from "../../lib/dates";
import { diffMarks } from "../../lib/marks";
import type { FlowDiff, Version } from "../../lib/types";
import { useEditor } from "../../store/context";

export function VersionsPanel({ onRestored, ensureSaved, refreshKey }: {
  onRestored: () => void;
  ensureSaved: () => Promise<boolean>;
  refreshKey: number;
}) {
  const { t } = useTranslation();
  const flowId = useEditor((s) => s.flowId);
  const readOnly = useEditor((s) => s.readOnly);
  const setMarks = useEditor((s) => s.setMarks);
  const clearMarks = useEditor((s) => s.clearMarks);
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [diff, setDiff] = useState<{ version: number; diff: FlowDiff } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<number | null>(null);
  const [note, setNote] = useState("");

  const load = useCallback(async () => {
    try {
      setVersions((await api.versions(flowId)).versions);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  }, [flowId, t]);
  useEffect(() => { load(); }, [load, refreshKey]);
  useEffect(() => () => clearMarks(), [clearMarks]);

  const showDiff = async (version: number) => {
    setError(null);
    try {
      if (!(await ensureSaved())) return;
      const [changes, older] = await Promise.all([api.diff(flowId, version, "draft"), api.version(flowId, version)]);
      const { marks, ghosts } = diffMarks(changes, older);
      setMarks(marks, ghosts);
      setDiff({ version, diff: changes });
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  };

  const restore = async (version: number) => {
    setError(null);
    try {
      await api.rollback(flowId, version, note || undefined);
      setRestoring(null);
      setNote("");
      clearMarks();
      setDiff(null);
      await load();
      onRestored();
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  };

  return (
    <section className="versions" aria-labelledby="versions-title">
      <h2 id="versions-title">{t("versions.title")}</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {diff && (
        <div className="diff-summary" role="status">
          <p>{t("versions.diffOf", { number: diff.version })}</p>
          <ul className="legend">
            <li className="mark-added">{t("versions.added", { n: diff.diff.added.length })}</li>
            <li className="mark-changed">{t("versions.changed", { n: diff.diff.changed.length })}</li>
            <li className="mark-removed">{t("versions.removed", { n: diff.diff.removed.length })}</li>
            <li className="mark-moved">{t("versions.moved", { n: diff.diff.moved.length })}</li>
          </ul>
          {diff.diff.flow_fields.length > 0 && <p className="muted">{t("versions.flowFields", { fields: diff.diff.flow_fields.join(", ") })}</p>}
          <button type="button" onClick={() => { clearMarks(); setDiff(null); }}>{t("versions.hideDiff")}</button>
        </div>
      )}
      {versions && versions.length === 0 && <p>{t("versions.none")}</p>}
      <ol className="version-list">
        {(versions ?? []).map((version) => (
          <li key={version.number} className={diff?.version === version.number ? "current" : ""}>
            <div><strong>{t("flows.version", { number: version.number })}</strong> · {version.author} · <span className="muted">{when(version.created_at)}</span></div>
            {version.note && <div className="note">{version.note}</div>}
            <div className="muted small">
              {version.source && <span>{version.source} </span>}
              {version.commit && <code title={version.commit}>{version.commit.slice(0, 10)}</code>}
            </div>
            <div className="row-actions">
              <button type="button" onClick={() => showDiff(version.number)}>{t("versions.showDiff")}</button>
              {!readOnly && <button type="button" onClick={() => setRestoring(version.number)}>{t("versions.restore")}</button>}
            </div>
            {restoring === version.number && (
              <form className="restore-form" onSubmit={(e) => { e.preventDefault(); restore(version.number); }}>
                <p>{t("versions.restoreConfirm", { number: version.number })}</p>
                <label>{t("versions.note")}<input value={note} onChange={(e) => setNote(e.target.value)} /></label>
                <button type="submit" className="primary">{t("versions.restore")}</button>
                <button type="button" onClick={() => setRestoring(null)}>{t("common.cancel")}</button>
              </form>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
