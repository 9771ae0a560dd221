// The bar on top of every signed-in page: where you are, the language, who you are, sign-out.
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { api } from "../lib/api";
import { LANGUAGES, supported, switchLanguage } from "../i18n";
import { useSession } from "../store/session";
import { Icon } from "./Icon";

export function Header({ children }: { children?: ReactNode }) {
  const { t, i18n } = useTranslation();
  const info = useSession((s) => s.info);
  const signOut = useSession((s) => s.signOut);
  const navigate = useNavigate();
  const roles: Record<string, string> = { admin: t("role.admin"), editor: t("role.editor"), viewer: t("role.viewer") };
  const names: Record<string, string> = { en: t("language.en"), ru: t("language.ru") };

  const changeLanguage = async (language: string) => {
    await switchLanguage(language);
    // the choice is the user's, kept by the server; a server without sessions keeps it here only
    api.setLanguage(language).catch(() => undefined);
  };

  return (
    <header className="app-header">
      <Link to="/flows" className="brand">Callwright</Link>
      <nav className="header-main" aria-label={t("header.navigation")}>{children}</nav>
      <label className="language">
        <Icon name="languages" />
        <span className="sr-only">{t("header.language")}</span>
        <select value={supported(i18n.language)} onChange={(e) => changeLanguage(e.target.value)} aria-label={t("header.language")}>
          {LANGUAGES.map((lang) => <option key={lang} value={lang}>{names[lang]}</option>)}
        </select>
      </label>
      <Link to="/flows" className="header-link">{t("header.flows")}</Link>
      <Link to="/bots" className="header-link">{t("header.bots")}</Link>
      <Link to="/responses" className="header-link">{t("header.responses")}</Link>
      <Link to="/audit" className="header-link">{t("header.audit")}</Link>
      {info && (
        <span className="who" title={info.user.name}>
          {info.user.display_name || info.user.name} · {roles[info.user.role] ?? info.user.role}
          {info.local_mode && <span className="badge">{t("header.localMode")}</span>}
        </span>
      )}
      {info && !info.local_mode && (
        <button type="button" className="icon-button" aria-label={t("header.signOut")} title={t("header.signOut")}
          onClick={async () => { await signOut(); navigate("/sign-in"); }}>
          <Icon name="log-out" />
        </button>
      )}
    </header>
  );
}
