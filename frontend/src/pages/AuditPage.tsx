// Who saved, published, rolled back, deleted and signed in, newest first.
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../lib/api";
import { when } from "../lib/dates";
import type { AuditEntry } from "../lib/types";
import { Header } from "../components/Header";

const PAGE = 100;

export function AuditPage() {
  const { t } = useTranslation();
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (before?: string) => {
    try {
      const page = (await api.audit(PAGE, before)).entries;
      setEntries((old) => (before ? [...(old ?? []), ...page] : page));
      setMore(page.length === PAGE);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  }, [t]);
  useEffect(() => { load(); }, [load]);

  return (
    <div className="page">
      <Header />
      <main className="audit">
        <h1>{t("audit.title")}</h1>
        {error && <p className="error" role="alert">{error}</p>}
        {entries && entries.length === 0 && <p>{t("audit.none")}</p>}
        {entries && entries.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("audit.when")}</th>
                <th scope="col">{t("audit.who")}</th>
                <th scope="col">{t("audit.action")}</th>
                <th scope="col">{t("audit.target")}</th>
                <th scope="col">{t("audit.detail")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry, index) => (
                <tr key={index}>
                  <td>{when(entry.at)}</td>
                  <td>{entry.actor} <span className="muted">({entry.actor_kind})</span></td>
                  <td>{entry.action}</td>
                  <td>{entry.target_kind} <code>{entry.target_id}</code></td>
                  <td><code className="small">{entry.detail === null || entry.detail === undefined ? "" : JSON.stringify(entry.detail)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {more && entries && <button type="button" onClick={() => load(entries[entries.length - 1].at)}>{t("common.more")}</button>}
      </main>
    </div>
  );
}
