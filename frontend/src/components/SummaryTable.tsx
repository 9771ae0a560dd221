// The table of a workspace's flows, bots or responses sets: each one's name, its published
// version, whether a draft waits, and what the page lets one do with it.
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { when } from "../lib/dates";
import type { FlowSummary } from "../lib/types";

export function SummaryTable({ items, href, actions }: {
  items: FlowSummary[];
  href: (item: FlowSummary) => string;
  actions: (item: FlowSummary) => ReactNode;
}) {
  const { t } = useTranslation();
  return (
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
              <Link to={href(item)} className="flow-name">{item.name || item.id}</Link>
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
            <td className="row-actions">{actions(item)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
