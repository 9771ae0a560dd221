// The form's widgets: text fields that show a secret reference as such, long texts as text
// areas and code fields (scripts, `expr` conditions) in the code editor with the server's
// line-numbered problems in place.
import { lazy, Suspense } from "react";
import { getTemplate } from "@rjsf/utils";
import type { RegistryWidgetsType, WidgetProps } from "@rjsf/utils";
import { useTranslation } from "react-i18next";
import { isSecret } from "../../lib/validator";
import { Icon } from "../Icon";

const CodeWidget = lazy(() => import("./CodeWidget"));

function SecretValue({ value, onClear, disabled }: { value: { $secret: string }; onClear: () => void; disabled?: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="secret-value">
      <span><Icon name="lock" size={14} /> {t("form.secret", { name: value.$secret })}</span>
      {!disabled && <button type="button" onClick={onClear}>{t("form.replaceSecret")}</button>}
    </div>
  );
}

function TextWidget(props: WidgetProps) {
  const { schema, value, onChange, disabled, readonly } = props;
  if (isSecret(value)) return <SecretValue value={value} onClear={() => onChange(undefined)} disabled={disabled || readonly} />;
  if (schema["x-widget"] === "code") {
    return (
      <Suspense fallback={<textarea id={props.id} value={value ?? ""} readOnly rows={4} />}>
        <CodeWidget {...props} />
      </Suspense>
    );
  }
  if (schema["x-widget"] === "textarea") return <TextareaWidget {...props} />;
  const BaseInput = getTemplate("BaseInputTemplate", props.registry, props.options);
  return <BaseInput {...props} />;
}

function TextareaWidget(props: WidgetProps) {
  const { id, value, onChange, onBlur, onFocus, disabled, readonly, required, placeholder, rawErrors } = props;
  if (isSecret(value)) return <SecretValue value={value} onClear={() => onChange(undefined)} disabled={disabled || readonly} />;
  return (
    <textarea id={id} name={id} className="form-control" value={value ?? ""} rows={3} placeholder={placeholder}
      disabled={disabled} readOnly={readonly} required={required} aria-invalid={!!rawErrors?.length}
      onChange={(e) => onChange(e.target.value === "" ? props.options.emptyValue : e.target.value)}
      onBlur={(e) => onBlur(id, e.target.value)} onFocus={(e) => onFocus(id, e.target.value)} />
  );
}

export const widgets: RegistryWidgetsType = { TextWidget, TextareaWidget };
