// The selected block: its id, label, notes, whether it is the start, and its config form.
import { lazy, Suspense, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useShallow } from "zustand/react/shallow";
import { blockText } from "../../lib/block-i18n";
import { blockLevel } from "../../lib/problems";
import type { JsonObject } from "../../lib/types";
import { useEditor } from "../../store/context";
import { Icon } from "../Icon";

const BlockForm = lazy(() => import("../form/BlockForm"));

export function BlockPanel({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const node = useEditor((s) => s.nodes.find((n) => n.id === id));
  const { catalog, problems, readOnly, isStart, focus } = useEditor(useShallow((s) => ({
    catalog: s.catalog, problems: s.problems, readOnly: s.readOnly, isStart: s.base.start === id, focus: s.focus,
  })));
  const { updateBlock, renameBlock, setStart, focusBlock } = useEditor(useShallow((s) => ({
    updateBlock: s.updateBlock, renameBlock: s.renameBlock, setStart: s.setStart, focusBlock: s.focusBlock,
  })));
  const [newId, setNewId] = useState(id);
  const [idError, setIdError] = useState(false);
  useEffect(() => { setNewId(id); setIdError(false); }, [id]);
  if (!node) return null;
  const block = node.data.block;
  const manifest = catalog.find(block.type);
  const text = manifest ? blockText(manifest, i18n.language) : { title: block.type, description: undefined };
  const own = blockLevel(id, problems);
  const focusField = focus && focus.block === id && focus.field ? { path: focus.field, seq: focus.seq } : null;

  const commitId = () => {
    if (newId === id) return;
    const ok = renameBlock(id, newId);
    setIdError(!ok);
    if (ok) focusBlock(newId);
  };

  return (
    <section className="block-panel" aria-labelledby="block-panel-title">
      <header className="panel-title">
        <Icon name={manifest?.icon} size={18} />
        <h2 id="block-panel-title">{text.title}</h2>
        {manifest && <span className="muted">{manifest.type} {manifest.version}</span>}
      </header>
      {text.description && <p className="muted description">{text.description}</p>}
      <div className="block-fields">
        <label>
          {t("block.id")}
          <input value={newId} readOnly={readOnly} aria-invalid={idError}
            onChange={(e) => setNewId(e.target.value)} onBlur={commitId}
            onKeyDown={(e) => { if (e.key === "Enter") commitId(); }} />
          {idError && <small className="error">{t("block.idTaken")}</small>}
        </label>
        <label>
          {t("block.label")}
          <input value={block.label ?? ""} readOnly={readOnly}
            onChange={(e) => updateBlock(id, { label: e.target.value || undefined })} />
        </label>
        <label>
          {t("block.notes")}
          <textarea rows={2} value={block.notes ?? ""} readOnly={readOnly}
            onChange={(e) => updateBlock(id, { notes: e.target.value || undefined })} />
        </label>
        <div className="start-row">
          {isStart
            ? <span className="badge start"><Icon name="flag" size={12} /> {t("block.isStart")}</span>
            : <button type="button" disabled={readOnly} onClick={() => setStart(id)}><Icon name="flag" /> {t("block.makeStart")}</button>}
        </div>
      </div>
      {own.length > 0 && (
        <ul className="block-problems" aria-label={t("problems.title")}>
          {own.map((problem, index) => (
            <li key={index} className={problem.severity}>{problem.message}</li>
          ))}
        </ul>
      )}
      {manifest ? (
        <Suspense fallback={<p role="status">{t("app.loading")}</p>}>
          <BlockForm blockId={id} manifest={manifest} config={block.config ?? {}} problems={problems}
            readOnly={readOnly} focusField={focusField}
            onChange={(config: JsonObject) => {
              // rjsf may report a change that changes nothing (defaults it fills in on render)
              if (JSON.stringify(config) !== JSON.stringify(block.config ?? {})) updateBlock(id, { config });
            }} />
        </Suspense>
      ) : (
        <p className="error">{t("node.unknownType", { type: block.type })}</p>
      )}
    </section>
  );
}
