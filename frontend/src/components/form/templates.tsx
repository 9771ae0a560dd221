// rjsf's templates, made to match: a field's label names its control (a `oneOf` select too); the
// form's own errors (the config as a whole: `say`'s "exactly one of") show once, at its top; an
// input is marked invalid when it is the one in error, never because an enclosing object is; a
// list's items and a map's entries are boxes as wide as the panel, their buttons inside.
import { getDefaultRegistry } from "@rjsf/core";
import type { FormProps } from "@rjsf/core";
import { ADDITIONAL_PROPERTY_FLAG, buttonId, getTemplate, getUiOptions, TranslatableString } from "@rjsf/utils";
import type {
  ArrayFieldItemTemplateProps, FieldTemplateProps, MultiSchemaFieldTemplateProps, WidgetProps, WrapIfAdditionalTemplateProps,
} from "@rjsf/utils";
import { buttonTemplates } from "./buttons";
import { PropertyChoiceField } from "./PropertyChoice";

const own = getDefaultRegistry().templates;

/** Return the id of the control a field's label names: rjsf's select for `oneOf`/`anyOf` alternatives. */
function controlId({ id, schema, uiSchema, registry }: FieldTemplateProps): string {
  if (uiSchema?.["ui:field"] || registry.schemaUtils.isSelect(schema)) return id;
  if (Array.isArray(schema.oneOf)) return `${id}__oneof_select`;
  if (Array.isArray(schema.anyOf)) return `${id}__anyof_select`;
  return id;
}

function FieldTemplate(props: FieldTemplateProps) {
  const { label, children, errors, rawErrors, help, description, hidden, required, displayLabel, registry, uiSchema, fieldPathId } = props;
  const options = getUiOptions(uiSchema);
  if (hidden) return <div className="hidden">{children}</div>;
  const Wrap = getTemplate("WrapIfAdditionalTemplate", registry, options);
  const top = fieldPathId.path.length === 0;
  // a nested property choice shows its errors under its select
  const shown = !rawErrors?.length || (!top && uiSchema?.["ui:field"] === PropertyChoiceField) ? null : errors;
  return (
    <Wrap {...props}>
      {top && shown && <div className="form-errors">{shown}</div>}
      {displayLabel && label && options.widget !== "checkbox" && (
        <label className="control-label" htmlFor={controlId(props)}>
          {label}{required && <span className="required">*</span>}
        </label>
      )}
      {displayLabel && description ? description : null}
      {children}
      {!top && shown}
      {help}
    </Wrap>
  );
}

/** rjsf's input, marked invalid (`aria-invalid`) when it has errors of its own. */
function BaseInputTemplate(props: WidgetProps) {
  const Input = own.BaseInputTemplate;
  return <Input {...props} aria-invalid={!!props.rawErrors?.length} />;
}

/** A field, or a map's entry: its key (labelled, renamed on leaving it) and remove button above its value. */
function WrapIfAdditionalTemplate(props: WrapIfAdditionalTemplateProps) {
  const { id, classNames, style, disabled, label, onKeyRenameBlur, onRemoveProperty, readonly, schema, hideError,
    rawErrors, children, uiSchema, registry } = props;
  const className = ["form-group", classNames, !hideError && rawErrors?.length ? "has-error" : ""].filter(Boolean).join(" ");
  if (!(ADDITIONAL_PROPERTY_FLAG in schema)) return <div className={className} style={style}>{children}</div>;
  const { RemoveButton } = registry.templates.ButtonTemplates;
  return (
    <div className={`${className} map-entry`} style={style}>
      <label className="control-label" htmlFor={`${id}-key`}>{registry.translateString(TranslatableString.KeyLabel, [label])}</label>
      <div className="map-key">
        <input className="form-control" type="text" id={`${id}-key`} key={label} defaultValue={label}
          readOnly={readonly} disabled={disabled} onBlur={onKeyRenameBlur} />
        <RemoveButton id={buttonId(id, "remove")} className="rjsf-object-property-remove" disabled={disabled || readonly}
          onClick={onRemoveProperty} uiSchema={uiSchema} registry={registry} />
      </div>
      {children}
    </div>
  );
}

/** A list's item: its fields, and its buttons (move, copy, remove) beside them. */
function ArrayFieldItemTemplate(props: ArrayFieldItemTemplateProps) {
  const { children, className, buttonsProps, hasToolbar, registry, uiSchema } = props;
  const Buttons = getTemplate("ArrayFieldItemButtonsTemplate", registry, getUiOptions(uiSchema));
  return (
    <div className={`${className} array-item`}>
      <div className="array-item-body">{children}</div>
      {hasToolbar && <div className="array-item-toolbox"><Buttons {...buttonsProps} /></div>}
    </div>
  );
}

/** A `oneOf`/`anyOf` field: the select, then the chosen alternative's fields (no classes of the page's panels). */
function MultiSchemaFieldTemplate({ selector, optionSchemaField }: MultiSchemaFieldTemplateProps) {
  return (
    <div className="alternatives-body">
      <div className="form-group">{selector}</div>
      {optionSchemaField}
    </div>
  );
}

export const templates: FormProps["templates"] = {
  MultiSchemaFieldTemplate,
  FieldTemplate,
  BaseInputTemplate,
  WrapIfAdditionalTemplate,
  ArrayFieldItemTemplate,
  ButtonTemplates: buttonTemplates,
};
