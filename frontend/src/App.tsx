// The editor's pages and client-side routes (`callwright serve` answers each with index.html).
import { useEffect } from "react";
import type { ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { switchLanguage } from "./i18n";
import { useSession } from "./store/session";
import { SignInPage } from "./pages/SignInPage";
import { FlowListPage } from "./pages/FlowListPage";
import { EditorPage } from "./pages/EditorPage";
import { AuditPage } from "./pages/AuditPage";
import { DocumentListPage } from "./pages/DocumentListPage";
import { BotEditorPage } from "./pages/BotEditorPage";
import { ResponsesEditorPage } from "./pages/ResponsesEditorPage";

export function App() {
  const refresh = useSession((s) => s.refresh);
  const checked = useSession((s) => s.checked);
  const language = useSession((s) => s.info?.user.language);
  const { t } = useTranslation();
  useEffect(() => {
    refresh().catch(() => undefined);
  }, [refresh]);
  useEffect(() => {
    if (language) switchLanguage(language);
  }, [language]);
  if (!checked) return <p className="loading" role="status">{t("app.loading")}</p>;
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/sign-in" element={<SignInPage />} />
        <Route path="/" element={<Navigate to="/flows" replace />} />
        <Route path="/flows" element={<Signed><FlowListPage /></Signed>} />
        <Route path="/flows/:id" element={<Signed><EditorPage /></Signed>} />
        <Route path="/bots" element={<Signed><DocumentListPage kind="bots" /></Signed>} />
        <Route path="/bots/:id" element={<Signed><BotEditorPage /></Signed>} />
        <Route path="/responses" element={<Signed><DocumentListPage kind="responses" /></Signed>} />
        <Route path="/responses/:id" element={<Signed><ResponsesEditorPage /></Signed>} />
        <Route path="/audit" element={<Signed><AuditPage /></Signed>} />
        <Route path="*" element={<Navigate to="/flows" replace />} />
      </Routes>
    </BrowserRouter>
  );
}

/** Show `children` to a signed-in user; send anyone else to the sign-in page and back. */
function Signed({ children }: { children: ReactNode }) {
  const info = useSession((s) => s.info);
  const location = useLocation();
  if (!info) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname)}`} replace />;
  return <>{children}</>;
}
