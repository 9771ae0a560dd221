// Recent sessions of this flow; choosing one draws its path on the canvas, step by step.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../lib/api";
import { when } from "../../lib/dates";
import { pathMarks } from "../../lib/marks";
import type { Execution, ExecutionSummary } from "../../lib/types";
import { useEditor } from "../../store/context";
import { ContactTimeline } from "./ContactTimeline";

const PAGE = 50;

export function ExecutionsPanel() {
  const { t } = useTranslation();
  const flowId = useEditor((s) => s.flowId);
  const setMarks = useEditor((s) => s.setMarks);
  const clearMarks = useEditor((s) => s.clearMarks);
  const focusBlock = useEditor((s) => s.focusBlock);
  const [list, setList] = useState<ExecutionSummary[] | null>(null);
  const [more, setMore] = useState(false);
  const [open, setOpen] = useState<Execution | null>(null);
  const [contactShown, setContactShown] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (before?: string) => {
    try {
      const page = (await api.executions(flowId, PAGE, before)).executions;
      setList((old) => (before ? [...(old ?? []), ...page] : page));
      setMore(page.length === PAGE);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  }, [flowId, t]);
  useEffect(() => { load(); }, [load]);
  useEffect(() => () => clearMarks(), [clearMarks]);

  const pick = async (id: string) => {
    setError(null);
    try {
      const execution = await api.execution(id);
      setOpen(execution);
      setContactShown(false);
      setMarks(pathMarks(flowId, execution.steps.map((s) => ({ flow: s.flow_id, block: s.block, exit: s.exit })), "execution"));
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  };

  return (
    <section className="executions" aria-labelledby="executions-title">
      <h2 id="executions-title">{t("executions.title")}</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {open && (
        <div className="execution">
          <div className="panel-row">
            <strong><code>{open.execution.slice(0, 12)}</code></strong>
            <span>{open.channel} · {open.status}{open.disposition ? ` · ${open.disposition}` : ""}</span>
            <button type="button" aria-expanded={contactShown} onClick={() => setContactShown(!contactShown)}>{t("contact.show")}</button>
            <button type="button" onClick={() => { setOpen(null); clearMarks(); }}>{t("executions.close")}</button>
          </div>
          {contactShown && <ContactTimeline session={open.execution} />}
          <ol className="steps">
            {open.steps.map((step, index) => (
              <li key={index}>
                <button type="button" className="step" disabled={step.flow_id !== flowId} onClick={() => focusBlock(step.block)}>
                  <span className="step-head"><code>{step.block}</code> → {step.exit ?? "—"}</span>
                  <span className="muted small">{t("executions.turn", { turn: step.turn })} · {t("executions.ms", { ms: step.ms })} · {when(step.at)}{step.flow_id !== flowId ? ` · ${step.flow_id}` : ""}</span>
                  {step.changes && Object.keys(step.changes).length > 0 && (
                    <code className="changes">{JSON.stringify(step.changes)}</code>
                  )}
                  {step.note && <span className="note">{step.note}</span>}
                </button>
              </li>
            ))}
          </ol>
        </div>
      )}
      {list && list.length === 0 && <p>{t("executions.none")}</p>}
      {list && list.length > 0 && (
        <table className="execution-list">
          <thead>
            <tr>
              <th scope="col">{t("executions.started")}</th>
              <th scope="col">{t("executions.channel")}</th>
              <th scope="col">{t("executions.outcome")}</th>
              <th scope="col">{t("executions.steps")}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((item) => (
              <tr key={item.execution} className={open?.execution === item.execution ? "current" : ""}>
                <td><button type="button" className="link" onClick={() => pick(item.execution)}>{when(item.started_at)}</button></td>
                <td>{item.channel}</td>
                <td>{item.status}{item.disposition ? ` · ${item.disposition}` : ""}</td>
                <td>{item.steps}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && list && <button type="button" onClick={() => load(list[list.length - 1].execution)}>{t("common.more")}</button>}
    </section>
  );
}
