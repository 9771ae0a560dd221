// The form's widgets: text fields that show a secret reference as such, long texts as text
// areas, code fields (scripts, `expr` conditions) in the code editor with the server's
// line-numbered problems in place, and values of any JSON type as JSON text.
import { lazy, Suspense } from "react";
import { ariaDescribedByIds, getTemplate } from "@rjsf/utils";
import type { RegistryWidgetsType, WidgetProps } from "@rjsf/utils";
import { isSecret } from "../../lib/validator";
import JsonValueWidget from "./JsonValueWidget";
import { SecretValue } from "./SecretValue";

const CodeWidget = lazy(() => import("./CodeWidget"));

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
      disabled={disabled} readOnly={readonly} required={required} aria-invalid={!!rawErrors?.length} aria-describedby={ariaDescribedByIds(id)}
      onChange={(e) => onChange(e.target.value === "" ? props.options.emptyValue : e.target.value)}
      onBlur={(e) => onBlur(id, e.target.value)} onFocus={(e) => onFocus(id, e.target.value)} />
  );
}

export const widgets: RegistryWidgetsType = { TextWidget, TextareaWidget, JsonValueWidget };
