// The whole page while what it shows is loading, or the error that stopped it loading.
import { useTranslation } from "react-i18next";
import { Header } from "./Header";

export function PageStatus({ error }: { error: string | null }) {
  const { t } = useTranslation();
  return (
    <div className="page">
      <Header />
      {error ? <p className="error page-message" role="alert">{error}</p> : <p className="page-message" role="status">{t("app.loading")}</p>}
    </div>
  );
}
