// Sign in with a name and a password; in local mode the server needs none and says so.
import { useState } from "react";
import type { FormEvent } from "react";
import { Navigate, useSearchParams } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../lib/api";
import { LANGUAGES, supported, switchLanguage } from "../i18n";
import { useSession } from "../store/session";

export function SignInPage() {
  const { t, i18n } = useTranslation();
  const info = useSession((s) => s.info);
  const signedIn = useSession((s) => s.signedIn);
  const [params] = useSearchParams();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = params.get("next")?.startsWith("/") ? params.get("next")! : "/flows";
  const names: Record<string, string> = { en: t("language.en"), ru: t("language.ru") };

  if (info?.local_mode) {
    return (
      <main className="sign-in">
        <h1>Callwright</h1>
        <p role="status">{t("signIn.localMode")}</p>
        <a href="/flows" className="button primary">{t("signIn.continue")}</a>
      </main>
    );
  }
  if (info) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      signedIn(await api.signIn(name, password));
    } catch (e) {
      if (e instanceof ApiError && e.code === "too_many_attempts") {
        setError(t("signIn.tooMany", { seconds: e.retryAfter ?? 60 }));
      } else if (e instanceof ApiError && e.code === "invalid_credentials") {
        setError(t("signIn.invalid"));
      } else {
        setError(t("error.generic", { message: (e as Error).message }));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Callwright</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">{t("signIn.title")}</h2>
        <label>
          {t("signIn.name")}
          <input autoFocus autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          {t("signIn.password")}
          <input type="password" autoComplete="current-password" value={password}
            onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{t("signIn.submit")}</button>
      </form>
      <label className="language">
        {t("header.language")}{" "}
        <select value={supported(i18n.language)} onChange={(e) => switchLanguage(e.target.value)}>
          {LANGUAGES.map((lang) => <option key={lang} value={lang}>{names[lang]}</option>)}
        </select>
      </label>
    </main>
  );
}
