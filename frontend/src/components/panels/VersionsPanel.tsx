// The published versions of a flow, a bot or a responses set, newest first: show what changed
// since one (against the draft, or what it changed from the version before) and restore one
// (published again as a new version). The flow editor also colours its canvas with a diff
// against the draft (FlowVersionsPanel); the other kinds show the diff as a list.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { versions as versionsApi } from "../../lib/api";
import type { VersionedKind } from "../../lib/api";
import { when } from "../../lib/dates";
import { diffMarks } from "../../lib/marks";
import type { DocumentDiff, FlowDiff, FlowDocument, Version } from "../../lib/types";
import { useEditor } from "../../store/context";

export type VersionDiff = FlowDiff | DocumentDiff;
/** What a version is compared with: the working copy, or the version before it. */
export type Against = "draft" | "previous";

export function VersionsPanel({ kind, id, readOnly, ensureSaved, onRestored, refreshKey, onDiff, onHideDiff }: {
  kind: VersionedKind;
  id: string;
  readOnly: boolean;
  /** Save the working copy before it is compared (false: it could not be). */
  ensureSaved: () => Promise<boolean>;
  onRestored: () => void;
  /** Changed to have the list read again (after a publish). */
  refreshKey: number;
  /** Told of a diff shown of a version against the draft (the flow editor colours its canvas). */
  onDiff?: (version: number, diff: VersionDiff) => Promise<void>;
  /** Told that no diff against the draft is shown any more. */
  onHideDiff?: () => void;
}) {
  const { t } = useTranslation();
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [diff, setDiff] = useState<{ version: number; against: Against; diff: VersionDiff } | null>(null);
  const [against, setAgainst] = useState<Against>("draft");
  const [error, setError] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<number | null>(null);
  const [note, setNote] = useState("");

  const load = useCallback(async () => {
    try {
      setVersions((await versionsApi.list(kind, id)).versions);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  }, [kind, id, t]);
  useEffect(() => { load(); }, [load, refreshKey]);

  const hideDiff = () => {
    onHideDiff?.();
    setDiff(null);
  };

  const showDiff = async (version: number) => {
    setError(null);
    try {
      if (against === "draft") {
        if (!(await ensureSaved())) return;
        const changes = await versionsApi.diff(kind, id, version, "draft");
        await onDiff?.(version, changes);
        setDiff({ version, against, diff: changes });
      } else {
        onHideDiff?.();
        setDiff({ version, against, diff: await versionsApi.diff(kind, id, version - 1, version) });
      }
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  };

  const restore = async (version: number) => {
    setError(null);
    try {
      await versionsApi.rollback(kind, id, version, note || undefined);
      setRestoring(null);
      setNote("");
      hideDiff();
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
      <label className="against">{t("versions.against")}
        <select value={against} onChange={(e) => { setAgainst(e.target.value as Against); hideDiff(); }}>
          <option value="draft">{t("versions.againstDraft")}</option>
          <option value="previous">{t("versions.againstPrevious")}</option>
        </select>
      </label>
      {diff && <DiffSummary {...diff} onHide={hideDiff} />}
      {versions && versions.length === 0 && <p>{t("versions.none")}</p>}
      <ol className="version-list">
        {(versions ?? []).map((version) => (
          <li key={version.number} className={diff?.version === version.number ? "current" : ""}
            data-testid={`version-${version.number}`}>
            <div><strong>{t("flows.version", { number: version.number })}</strong> · {version.author} · <span className="muted">{when(version.created_at)}</span></div>
            {version.note && <div className="note">{version.note}</div>}
            <div className="muted small">
              {version.source && <span>{version.source} </span>}
              {version.commit && <code title={version.commit}>{version.commit.slice(0, 10)}</code>}
            </div>
            <div className="row-actions">
              <button type="button" disabled={against === "previous" && version.number === 1}
                title={against === "previous" && version.number === 1 ? t("versions.first") : undefined}
                onClick={() => showDiff(version.number)}>{t("versions.showDiff")}</button>
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

/** The counts of what a diff added, changed, removed (and moved, for a flow), and the items. */
export function DiffSummary({ version, against, diff, onHide }: {
  version: number; against: Against; diff: VersionDiff; onHide: () => void;
}) {
  const { t } = useTranslation();
  const moved = "moved" in diff ? diff.moved : null;
  const fields = "flow_fields" in diff ? diff.flow_fields : diff.fields;
  const empty = !diff.added.length && !diff.removed.length && !diff.changed.length && !moved?.length && !fields.length;
  return (
    <div className="diff-summary" role="status">
      <p>{against === "draft" ? t("versions.diffOf", { number: version })
        : t("versions.diffFromPrevious", { from: version - 1, number: version })}</p>
      <ul className="legend">
        <li className="mark-added">{t("versions.added", { n: diff.added.length })}</li>
        <li className="mark-changed">{t("versions.changed", { n: diff.changed.length })}</li>
        <li className="mark-removed">{t("versions.removed", { n: diff.removed.length })}</li>
        {moved && <li className="mark-moved">{t("versions.moved", { n: moved.length })}</li>}
      </ul>
      {empty ? <p className="muted">{t("versions.noChanges")}</p> : (
        <ul className="diff-items" aria-label={t("versions.items")}>
          {diff.added.map((item) => <li key={`+${item}`} className="mark-added">+ <code>{item}</code></li>)}
          {diff.changed.map((item) => (
            <li key={`~${item.id}`} className="mark-changed">~ <code>{item.id}</code> <span className="muted">{item.fields.join(", ")}</span></li>
          ))}
          {diff.removed.map((item) => <li key={`-${item}`} className="mark-removed">− <code>{item}</code></li>)}
        </ul>
      )}
      {fields.length > 0 && <p className="muted">{"flow_fields" in diff ? t("versions.flowFields", { fields: fields.join(", ") })
        : t("versions.fields", { fields: fields.join(", ") })}</p>}
      <button type="button" onClick={onHide}>{t("versions.hideDiff")}</button>
    </div>
  );
}

/** The flow editor's versions: a diff against the draft colours the canvas, removed blocks as ghosts. */
export function FlowVersionsPanel({ onRestored, ensureSaved, refreshKey }: {
  onRestored: () => void;
  ensureSaved: () => Promise<boolean>;
  refreshKey: number;
}) {
  const flowId = useEditor((s) => s.flowId);
  const readOnly = useEditor((s) => s.readOnly);
  const setMarks = useEditor((s) => s.setMarks);
  const clearMarks = useEditor((s) => s.clearMarks);
  useEffect(() => () => clearMarks(), [clearMarks]);

  const colour = async (version: number, diff: VersionDiff) => {
    const older = await versionsApi.get<FlowDocument>("flows", flowId, version);
    const { marks, ghosts } = diffMarks(diff as FlowDiff, older);
    setMarks(marks, ghosts);
  };

  return <VersionsPanel kind="flows" id={flowId} readOnly={readOnly} ensureSaved={ensureSaved} onRestored={onRestored}
    refreshKey={refreshKey} onDiff={colour} onHideDiff={clearMarks} />;
}
