// Every flow of the workspace: its published version, whether a draft waits, and what to do
// with it (open, create, rename, duplicate, delete).
import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../lib/api";
import type { FlowSummary } from "../lib/types";
import { Header } from "../components/Header";
import { Dialog } from "../components/Dialog";
import { Icon } from "../components/Icon";
import { SummaryTable } from "../components/SummaryTable";
import { canEdit, useSession } from "../store/session";

type Action = { kind: "create" } | { kind: "rename" | "duplicate" | "delete"; flow: FlowSummary };
const ID_PATTERN = "[A-Za-z_][A-Za-z0-9_.\\-]{0,127}";
const href = (id: string) => `/flows/${encodeURIComponent(id)}`;

export function FlowListPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const info = useSession((s) => s.info);
  const editable = canEdit(info);
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [filter, setFilter] = useState("");

  const reload = useCallback(async () => {
    try {
      setFlows((await api.flows()).flows);
      setError(null);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  }, [t]);
  useEffect(() => { reload(); }, [reload]);

  const shown = (flows ?? []).filter((flow) =>
    `${flow.id} ${flow.name ?? ""} ${flow.description ?? ""}`.toLowerCase().includes(filter.toLowerCase()));

  return (
    <div className="page">
      <Header />
      <main className="flow-list">
        <div className="list-toolbar">
          <h1>{t("flows.title")}</h1>
          <input type="search" placeholder={t("flows.filter")} aria-label={t("flows.filter")} value={filter}
            onChange={(e) => setFilter(e.target.value)} />
          {editable && (
            <button type="button" className="primary" onClick={() => setAction({ kind: "create" })}>
              <Icon name="plus" /> {t("flows.create")}
            </button>
          )}
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {flows === null && !error && <p role="status">{t("app.loading")}</p>}
        {flows && flows.length === 0 && <p className="empty">{t("flows.empty")}</p>}
        {shown.length > 0 && (
          <SummaryTable items={shown} href={(flow) => href(flow.id)} actions={(flow) => <>
            <button type="button" onClick={() => navigate(href(flow.id))}>{t("flows.open")}</button>
            {editable && <>
              <button type="button" onClick={() => setAction({ kind: "rename", flow })}>{t("flows.rename")}</button>
              <button type="button" onClick={() => setAction({ kind: "duplicate", flow })}>{t("flows.duplicate")}</button>
              <button type="button" className="danger" onClick={() => setAction({ kind: "delete", flow })}>{t("flows.delete")}</button>
            </>}
          </>} />
        )}
      </main>
      {action && <FlowActionDialog action={action} onClose={() => setAction(null)}
        onDone={async (opened) => { setAction(null); if (opened) navigate(href(opened)); else await reload(); }} />}
    </div>
  );
}

function FlowActionDialog({ action, onClose, onDone }: { action: Action; onClose: () => void; onDone: (open?: string) => void }) {
  const { t } = useTranslation();
  const flow = action.kind === "create" ? null : action.flow;
  const [id, setId] = useState(action.kind === "duplicate" ? `${flow!.id}_copy` : action.kind === "rename" ? flow!.id : "");
  const [name, setName] = useState(action.kind === "duplicate" ? t("flows.copyOf", { name: flow!.name || flow!.id }) : "");
  const [error, setError] = useState<string | null>(null);
  const titles = { create: t("flows.createTitle"), rename: t("flows.renameTitle"), duplicate: t("flows.duplicateTitle"), delete: t("flows.deleteTitle") };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      if (action.kind === "create") {
        const created = await api.createFlow(id, name || undefined);
        onDone(created.id);
      } else if (action.kind === "rename") {
        await api.renameFlow(flow!.id, id);
        onDone();
      } else if (action.kind === "duplicate") {
        await api.duplicateFlow(flow!.id, id, name || undefined);
        onDone();
      } else {
        await api.deleteFlow(flow!.id);
        onDone();
      }
    } catch (e) {
      setError(e instanceof ApiError && e.code === "flow_exists" ? t("flows.exists", { id }) : t("error.generic", { message: (e as Error).message }));
    }
  };

  return (
    <Dialog title={titles[action.kind]} onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        {action.kind === "delete" ? (
          <p>{t("flows.deleteConfirm", { id: flow!.id })}</p>
        ) : (
          <>
            <label>
              {t("flows.id")}
              <input autoFocus required pattern={ID_PATTERN} value={id} onChange={(e) => setId(e.target.value)} />
              <small className="muted">{t("flows.idHint")}</small>
            </label>
            {action.kind !== "rename" && (
              <label>
                {t("flows.displayName")}
                <input value={name} onChange={(e) => setName(e.target.value)} />
              </label>
            )}
          </>
        )}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>{t("common.cancel")}</button>
          <button type="submit" className={action.kind === "delete" ? "danger" : "primary"}>{titles[action.kind]}</button>
        </div>
      </form>
    </Dialog>
  );
}
