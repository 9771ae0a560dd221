// A config value that is a secret reference (`{"$secret": NAME}`): named, never shown, replaceable.
import { useTranslation } from "react-i18next";
import { Icon } from "../Icon";

export function SecretValue({ value, onClear, disabled }: { value: { $secret: string }; onClear: () => void; disabled?: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="secret-value">
      <span><Icon name="lock" size={14} /> {t("form.secret", { name: value.$secret })}</span>
      {!disabled && <button type="button" onClick={onClear}>{t("form.replaceSecret")}</button>}
    </div>
  );
}
