// rjsf's fields, decided from the schema and never from the block type: a value of any JSON type
// (no `type`, or several, or alternatives of several: a text or a secret reference) gets the
// JSON text widget; an object of which one property is given gets the property choice; other
// alternatives (`oneOf`, `anyOf`) keep rjsf's select, without repeating the chosen
// alternative's title under it, and with a label of their own.
import { memo } from "react";
import { getDefaultRegistry } from "@rjsf/core";
import { deepEquals, getSchemaType } from "@rjsf/utils";
import type { FieldProps, RegistryFieldsType } from "@rjsf/utils";
import { useTranslation } from "react-i18next";
import { propertyChoice, takesAnyValue } from "../../lib/form-schema";
import type { JsonObject } from "../../lib/types";
import { PropertyChoiceField } from "./PropertyChoice";

const own = getDefaultRegistry().fields;
const DefaultSchemaField = own.SchemaField;

function SchemaFieldRender(props: FieldProps) {
  const { registry, formData, uiSchema } = props;
  if (uiSchema?.["ui:field"]) return <DefaultSchemaField {...props} />;
  const schema = registry.schemaUtils.retrieveSchema(props.schema, formData) as JsonObject;
  if (takesAnyValue(schema)) {
    // drawn as a string field (its label, description and errors as any field's), holding JSON;
    // alternatives of different types are that too
    const { oneOf: _oneOf, anyOf: _anyOf, ...field } = schema;
    return <DefaultSchemaField {...props} schema={{ ...field, type: "string" }}
      uiSchema={{ ...uiSchema, "ui:widget": "JsonValueWidget" }} />;
  }
  if (propertyChoice(schema)) {
    return <DefaultSchemaField {...props} uiSchema={{ ...uiSchema, "ui:field": PropertyChoiceField, "ui:fieldReplacesAnyOrOneOf": true }} />;
  }
  return <DefaultSchemaField {...props} />;
}

const SchemaField = memo(SchemaFieldRender, (before, after) => deepEquals(before, after));

/** Return rjsf's `oneOf`/`anyOf` field: the chosen alternative shows without its title (the select names it). */
function alternatives(Field: RegistryFieldsType[string], kind: "oneof" | "anyof") {
  return function AlternativesField(props: FieldProps) {
    const { t } = useTranslation();
    const field = <Field {...props} uiSchema={{ ...props.uiSchema, "ui:title": "" }} />;
    // an object's select sits under its properties; elsewhere the field's own label names the select
    if (getSchemaType(props.schema) !== "object") return field;
    return (
      <div className="alternatives">
        <label className="control-label" htmlFor={`${props.fieldPathId.$id}__${kind}_select`}>{t("form.use")}</label>
        {field}
      </div>
    );
  };
}

export const fields: RegistryFieldsType = {
  SchemaField,
  OneOfField: alternatives(own.OneOfField, "oneof"),
  AnyOfField: alternatives(own.AnyOfField, "anyof"),
};
