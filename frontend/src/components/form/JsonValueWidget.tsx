// The field of a value of any JSON type (a schema without `type`, or with several): JSON text, or
// plain text for a string. What is typed stays while it is not JSON, with where it goes wrong;
// the value goes into the config as soon as it is.
import { useState } from "react";
import { ariaDescribedByIds, deepEquals } from "@rjsf/utils";
import type { WidgetProps } from "@rjsf/utils";
import { useTranslation } from "react-i18next";
import { jsonText, parseJsonText } from "../../lib/json-value";
import type { JsonTextError } from "../../lib/json-value";
import { isSecret } from "../../lib/validator";
import { SecretValue } from "./SecretValue";

interface Draft {
  text: string;
  value: unknown; // what the config holds while this text is shown
  error?: JsonTextError;
}

export default function JsonValueWidget(props: WidgetProps) {
  const { id, htmlName, value, onChange, onBlur, onFocus, disabled, readonly, required, rawErrors } = props;
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [focused, setFocused] = useState(false);
  if (isSecret(value)) return <SecretValue value={value} onClear={() => onChange(undefined)} disabled={disabled || readonly} />;
  // a change from elsewhere (undo, another tab of the form) shows the new value as JSON
  const shown: Draft = draft && deepEquals(draft.value, value) ? draft : { text: jsonText(value), value };
  const type = (text: string) => {
    const parsed = parseJsonText(text);
    if (parsed.error) {
      setDraft({ text, value, error: parsed.error });
    } else {
      setDraft({ text, value: parsed.value });
      onChange(parsed.value);
    }
  };
  const errorId = `${id}__json-error`;
  const hintId = `${id}__json-hint`;
  const rows = Math.min(Math.max(shown.text.split("\n").length, 1), 12);
  return (
    <div className="json-field">
      <textarea id={id} name={htmlName || id} className="form-control json-text" value={shown.text} rows={rows}
        spellCheck={false} disabled={disabled} readOnly={readonly} required={required}
        aria-invalid={!!shown.error || !!rawErrors?.length}
        aria-describedby={[shown.error ? errorId : "", ariaDescribedByIds(id), hintId].filter(Boolean).join(" ")}
        onChange={(event) => type(event.target.value)}
        onFocus={() => { setFocused(true); onFocus(id, value); }}
        onBlur={() => { setFocused(false); onBlur(id, value); }} />
      {shown.error && <p id={errorId} className="json-error">{t("form.jsonInvalid", { ...shown.error })}</p>}
      <p id={hintId} className={focused || shown.error ? "field-hint" : "sr-only"}>
        {t("form.jsonHint", { example: "Hello {{ contact.name }}" })}
      </p>
    </div>
  );
}
