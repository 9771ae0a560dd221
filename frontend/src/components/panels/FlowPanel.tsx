// The flow's own fields: name, description, start, settings and variables.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useShallow } from "zustand/react/shallow";
import type { JsonObject } from "../../lib/types";
import { useEditor } from "../../store/context";

export function FlowPanel() {
  const { t } = useTranslation();
  const { base, readOnly, ids } = useEditor(useShallow((s) => ({
    base: s.base, readOnly: s.readOnly, ids: s.nodes.map((n) => n.id).join("\n"),
  })));
  const { updateFlow, setStart } = useEditor(useShallow((s) => ({ updateFlow: s.updateFlow, setStart: s.setStart })));
  const settings = (base.settings ?? {}) as JsonObject;
  const [variables, setVariables] = useState(JSON.stringify(base.variables ?? {}, null, 2));
  const [variablesError, setVariablesError] = useState(false);
  useEffect(() => { setVariables(JSON.stringify(base.variables ?? {}, null, 2)); }, [base.variables]);

  const setSetting = (key: string, value: string | number | undefined) => {
    const next: JsonObject = { ...settings };
    if (value === undefined || value === "" || Number.isNaN(value)) delete next[key];
    else next[key] = value;
    updateFlow({ settings: next });
  };
  const number = (text: string) => (text === "" ? undefined : Number(text));

  return (
    <section className="flow-panel" aria-labelledby="flow-panel-title">
      <h2 id="flow-panel-title">{t("flow.title")}</h2>
      <label>{t("flow.id")}<input value={base.id} readOnly /></label>
      <label>{t("flow.name")}
        <input value={base.name ?? ""} readOnly={readOnly} onChange={(e) => updateFlow({ name: e.target.value })} />
      </label>
      <label>{t("flow.description")}
        <textarea rows={2} value={base.description ?? ""} readOnly={readOnly} onChange={(e) => updateFlow({ description: e.target.value })} />
      </label>
      <label>{t("flow.start")}
        <select value={base.start} disabled={readOnly} onChange={(e) => setStart(e.target.value)}>
          {!ids.split("\n").includes(base.start) && <option value={base.start}>{base.start}</option>}
          {ids.split("\n").filter(Boolean).map((id) => <option key={id} value={id}>{id}</option>)}
        </select>
      </label>
      <fieldset>
        <legend>{t("flow.settings")}</legend>
        <label>{t("flow.language")}
          <input value={String(settings.language ?? "")} readOnly={readOnly} placeholder="en-US"
            onChange={(e) => setSetting("language", e.target.value)} />
        </label>
        <label>{t("flow.maxSteps")}
          <input type="number" min={1} value={String(settings.max_steps ?? "")} readOnly={readOnly}
            onChange={(e) => setSetting("max_steps", number(e.target.value))} />
        </label>
        <label>{t("flow.maxSession")}
          <input type="number" min={1} value={String(settings.max_session_s ?? "")} readOnly={readOnly}
            onChange={(e) => setSetting("max_session_s", number(e.target.value))} />
        </label>
      </fieldset>
      <label>{t("flow.variables")}
        <textarea rows={5} className="mono" value={variables} readOnly={readOnly} aria-invalid={variablesError}
          onChange={(e) => {
            setVariables(e.target.value);
            try {
              const parsed = JSON.parse(e.target.value);
              if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
              setVariablesError(false);
              updateFlow({ variables: parsed });
            } catch {
              setVariablesError(true);
            }
          }} />
        {variablesError && <small className="error">{t("flow.variablesInvalid")}</small>}
      </label>
    </section>
  );
}
