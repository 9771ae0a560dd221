// An object of which one property is given (`oneOf`/`anyOf` alternatives that each require one of
// its properties: transfer's target, say's text, response or audio): one select, labelled once,
// picks the property, and only its field shows (with any other one the config already holds).
import { createContext, Fragment, useContext, useRef, useState } from "react";
import { errorId, getTemplate, getUiOptions } from "@rjsf/utils";
import type { FieldProps, ObjectFieldTemplateProps } from "@rjsf/utils";
import { useTranslation } from "react-i18next";
import { propertyChoice } from "../../lib/form-schema";
import type { JsonObject } from "../../lib/types";

interface Choice {
  names: string[];
  shown: string[];
  picked: string;
  errors?: string[];
  pick: (name: string) => void;
}

const ChoiceContext = createContext<Choice | null>(null);

const isObject = (value: unknown): value is JsonObject => !!value && typeof value === "object" && !Array.isArray(value);

/** The field of such an object: rjsf's object field, drawn by `ChoiceTemplate`, with the choice kept here. */
export function PropertyChoiceField(props: FieldProps) {
  const { schema, formData, onChange, fieldPathId, registry, uiSchema, rawErrors } = props;
  const names = propertyChoice(schema as JsonObject) ?? [];
  const data: JsonObject = isObject(formData) ? formData : {};
  const filled = names.filter((name) => data[name] !== undefined);
  const [chosen, setChosen] = useState(filled[0] ?? names[0]);
  // what a property held before another was picked, back if it is picked again
  const earlier = useRef<JsonObject>({});
  const picked = filled.length === 0 || filled.includes(chosen) ? chosen : filled[0];
  const pick = (name: string) => {
    const next = { ...data };
    for (const other of names) {
      if (other === name || next[other] === undefined) continue;
      earlier.current[other] = next[other];
      delete next[other];
    }
    if (next[name] === undefined && earlier.current[name] !== undefined) next[name] = earlier.current[name];
    setChosen(name);
    onChange(next, fieldPathId.path);
  };
  const choice: Choice = { names, shown: [...new Set([picked, ...filled])], picked, errors: rawErrors, pick };
  const { ObjectField } = registry.fields;
  return (
    <ChoiceContext.Provider value={choice}>
      <ObjectField {...props} uiSchema={{ ...uiSchema, "ui:ObjectFieldTemplate": ChoiceTemplate }} />
    </ChoiceContext.Provider>
  );
}

/**
 * Draw the object's properties with the select where its first alternative stands. The root's
 * select is labelled "Use" under the form's title; a nested object's select carries the
 * object's own title (instead of a legend, so the choice is named once).
 */
function ChoiceTemplate(props: ObjectFieldTemplateProps) {
  const { t } = useTranslation();
  const choice = useContext(ChoiceContext);
  const { title, description, properties, fieldPathId, registry, required, readonly, disabled, schema, uiSchema } = props;
  const options = getUiOptions(uiSchema);
  const TitleField = getTemplate("TitleFieldTemplate", registry, options);
  const DescriptionField = getTemplate("DescriptionFieldTemplate", registry, options);
  if (!choice) return null;
  const root = fieldPathId.path.length === 0;
  const id = fieldPathId.$id;
  const selectId = `${id}__choice`;
  const errors = root ? [] : (choice.errors ?? []).filter(Boolean);
  const titleOf = (name: string) => {
    const property = (schema.properties ?? {})[name];
    return (isObject(property) && typeof property.title === "string" && property.title) || name;
  };
  const describedBy = [description && !root ? `${id}__description` : "", errors.length ? errorId(fieldPathId) : ""];
  const select = (
    <div className="form-group property-choice">
      <label className="control-label" id={`${id}__choice-label`} htmlFor={selectId}>
        {root ? t("form.use") : title}{!root && required && <span className="required">*</span>}
      </label>
      {!root && description && <DescriptionField id={`${id}__description`} description={description} schema={schema} registry={registry} />}
      <select id={selectId} className="form-control" value={choice.picked} disabled={disabled || readonly}
        aria-invalid={errors.length > 0} aria-describedby={describedBy.filter(Boolean).join(" ") || undefined}
        onChange={(event) => choice.pick(event.target.value)}>
        {choice.names.map((name) => <option key={name} value={name}>{titleOf(name)}</option>)}
      </select>
      {errors.length > 0 && (
        <ul id={errorId(fieldPathId)} className="error-detail">{errors.map((error, i) => <li key={i}>{error}</li>)}</ul>
      )}
    </div>
  );
  const first = properties.findIndex((property) => choice.names.includes(property.name));
  return (
    <fieldset id={id} aria-labelledby={root ? undefined : `${id}__choice-label`}>
      {root && title && <TitleField id={`${id}__title`} title={title} schema={schema} registry={registry} />}
      {root && description && <DescriptionField id={`${id}__description`} description={description} schema={schema} registry={registry} />}
      {properties.map((property, index) => (
        <Fragment key={property.name}>
          {index === first && select}
          {(!choice.names.includes(property.name) || choice.shown.includes(property.name)) && property.content}
        </Fragment>
      ))}
    </fieldset>
  );
}
