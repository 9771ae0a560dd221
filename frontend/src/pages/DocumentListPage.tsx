// The bots, or the responses sets, of the workspace: each one's published version, whether a
// draft waits, and a way to open, create or (an admin) delete one.
import { useCallback, useEffect, useState } from "react";
import type { FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { ApiError, documents } from "../lib/api";
import type { DocumentKind } from "../lib/api";
import { when } from "../lib/dates";
import type { FlowSummary } from "../lib/types";
import { Header } from "../components/Header";
import { Dialog } from "../components/Dialog";
import { Icon } from "../components/Icon";
import { canEdit, useSession } from "../store/session";

const ID_PATTERN = "[A-Za-z_][A-Za-z0-9_.\\-]{0,117}";

export function DocumentListPage({ kind }: { kind: DocumentKind }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const info = useSession((s) => s.info);
  const [items, setItems] = useState<FlowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [action, setAction] = useState<{ kind: "create" } | { kind: "delete"; item: FlowSummary } | null>(null);
  const title = kind === "bots" ? t("bots.title") : t("responses.title");

  const reload = useCallback(async () => {
    try {
      const answer = await documents.list<{ bots?: FlowSummary[]; sets?: FlowSummary[] }>(kind);
      setItems(answer.bots ?? answer.sets ?? []);
      setError(null);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  }, [kind, t]);
  useEffect(() => { setItems(null); reload(); }, [reload]);
  const open = (id: string) => navigate(`/${kind}/${encodeURIComponent(id)}`);

  return (
    <div className="page">
      <Header />
      <main className="flow-list">
        <div className="list-toolbar">
          <h1>{title}</h1>
          {canEdit(info) && (
            <button type="button" className="primary" onClick={() => setAction({ kind: "create" })}>
              <Icon name="plus" /> {kind === "bots" ? t("bots.create") : t("responses.create")}
            </button>
          )}
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {items === null && !error && <p role="status">{t("app.loading")}</p>}
        {items && items.length === 0 && <p className="empty">{kind === "bots" ? t("bots.empty") : t("responses.empty")}</p>}
        {items && items.length > 0 && (
          <table className="flows">
            <thead>
              <tr>
                <th scope="col">{t("flows.name")}</th>
                <th scope="col">{t("flows.live")}</th>
                <th scope="col">{t("flows.draft")}</th>
                <th scope="col"><span className="sr-only">{t("flows.actions")}</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>
                  <td>
                    <Link to={`/${kind}/${encodeURIComponent(item.id)}`} className="flow-name">{item.name || item.id}</Link>
                    <div className="muted"><code>{item.id}</code>{item.description ? ` · ${item.description}` : ""}</div>
                  </td>
                  <td>
                    {item.live
                      ? <>{t("flows.version", { number: item.live.number })} <span className="muted">{when(item.live.published_at)} · {item.live.author}</span></>
                      : <span className="muted">{t("flows.notPublished")}</span>}
                  </td>
                  <td>
                    {item.draft
                      ? <><span className="badge draft">{t("flows.hasDraft")}</span> <span className="muted">{when(item.draft.saved_at)} · {item.draft.saved_by}</span></>
                      : <span className="muted">{t("flows.noDraft")}</span>}
                  </td>
                  <td className="row-actions">
                    <button type="button" onClick={() => open(item.id)}>{t("flows.open")}</button>
                    {info?.user.role === "admin" && (
                      <button type="button" className="danger" onClick={() => setAction({ kind: "delete", item })}>{t("flows.delete")}</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
      {action && <ActionDialog kind={kind} action={action} onClose={() => setAction(null)}
        onDone={async (created) => { setAction(null); if (created) open(created); else await reload(); }} />}
    </div>
  );
}

function ActionDialog({ kind, action, onClose, onDone }: {
  kind: DocumentKind;
  action: { kind: "create" } | { kind: "delete"; item: FlowSummary };
  onClose: () => void;
  onDone: (created?: string) => void;
}) {
  const { t } = useTranslation();
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const title = action.kind === "delete" ? t("flows.deleteTitle") : kind === "bots" ? t("bots.create") : t("responses.create");

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      if (action.kind === "create") onDone((await documents.create(kind, id, name || undefined)).id);
      else {
        await documents.remove(kind, action.item.id);
        onDone();
      }
    } catch (e) {
      const taken = e instanceof ApiError && e.status === 409 && action.kind === "create";
      setError(taken ? t("flows.exists", { id }) : t("error.generic", { message: (e as Error).message }));
    }
  };

  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit} className="dialog-form">
        {action.kind === "delete" ? <p>{t("flows.deleteConfirm", { id: action.item.id })}</p> : (
          <>
            <label>{t("flows.id")}
              <input autoFocus required pattern={ID_PATTERN} value={id} onChange={(e) => setId(e.target.value)} />
              <small className="muted">{t("flows.idHint")}</small>
            </label>
            <label>{t("flows.displayName")}<input value={name} onChange={(e) => setName(e.target.value)} /></label>
          </>
        )}
        {error && <p className="error" role="alert">{error}</p>}
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>{t("common.cancel")}</button>
          <button type="submit" className={action.kind === "delete" ? "danger" : "primary"}>{title}</button>
        </div>
      </form>
    </Dialog>
  );
}
