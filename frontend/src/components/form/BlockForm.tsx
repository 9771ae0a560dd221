// One form per block, rendered by rjsf from the block's config schema (its fields' titles and
// descriptions translated by the manifest) and validated live by ajv (draft-07, as the server
// validates it); the server's problems sit on their fields.
import { useEffect, useMemo, useRef } from "react";
import Form from "@rjsf/core";
import type { IChangeEvent } from "@rjsf/core";
import { englishStringTranslator, TranslatableString } from "@rjsf/utils";
import type { ErrorSchema, RJSFSchema, RJSFValidationError, UiSchema } from "@rjsf/utils";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { translateSchema, translationOf } from "../../lib/block-i18n";
import { isCodeField, prepareSchema } from "../../lib/form-schema";
import { codeLine, configPath, extraErrorsFor, fieldId } from "../../lib/problems";
import type { BlockManifest, JsonObject, Problem } from "../../lib/types";
import { choiceErrors, formValidator, withoutSecretErrors } from "../../lib/validator";
import { fields } from "./fields";
import { templates } from "./templates";
import { widgets } from "./widgets";
import { FieldProblemsContext } from "./field-problems";

const UI_SCHEMA: UiSchema = { "ui:submitButtonOptions": { norender: true } };

export default function BlockForm({ blockId, manifest, config, problems, readOnly, focusField, onChange }: {
  blockId: string;
  manifest: BlockManifest;
  config: JsonObject;
  problems: Problem[];
  readOnly: boolean;
  focusField: { path: string[]; seq: number } | null;
  onChange: (config: JsonObject) => void;
}) {
  const { t, i18n } = useTranslation();
  // the form speaks the interface's language where the manifest translates its fields; only
  // titles and descriptions differ from the manifest's schema, so ajv checks the same rules
  const schema = useMemo(() => translateSchema(prepareSchema(manifest.config_schema),
    translationOf(manifest, i18n.language)?.fields) as RJSFSchema, [manifest, i18n.language]);
  const validator = formValidator(i18n.language);
  // a problem's `line` is its place in the flow's file; in a code field the line of the code
  // (which the server's message begins with) is what means something
  const extraErrors = useMemo(() => extraErrorsFor(blockId, problems, (problem) => {
    const path = configPath(problem);
    const code = path && isCodeField(schema as JsonObject, path) ? codeLine(problem) : null;
    return code ? t("problems.atLine", code) : problem.message;
  }) as ErrorSchema, [blockId, problems, schema, t]);
  const byField = useMemo(() => {
    const map: Record<string, Problem[]> = {};
    for (const problem of problems) {
      const path = configPath(problem);
      if (path) (map[fieldId(path)] ??= []).push(problem);
    }
    return map;
  }, [problems]);
  const data = useRef(config);
  data.current = config;
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!focusField || !box.current) return;
    const id = fieldId(focusField.path);
    const target = box.current.querySelector<HTMLElement>(`#${CSS.escape(id)}, [data-field="${id}"] [contenteditable]`);
    target?.scrollIntoView({ block: "center" });
    target?.focus();
  }, [focusField]);

  const transformErrors = (errors: RJSFValidationError[]) => choiceErrors(withoutSecretErrors(errors, data.current),
    schema as JsonObject, (titles, exactly) => {
      const fields = new Intl.ListFormat(i18n.language, { type: "disjunction" }).format(titles);
      return exactly ? t("form.exactlyOne", { fields }) : t("form.atLeastOne", { fields });
    });
  return (
    <div ref={box} className="block-form">
      <FieldProblemsContext.Provider value={byField}>
        <Form
          key={`${blockId}:${i18n.language}`}
          schema={schema}
          uiSchema={UI_SCHEMA}
          formData={config}
          validator={validator}
          widgets={widgets}
          fields={fields}
          templates={templates}
          liveValidate="onChange"
          showErrorList={false}
          noHtml5Validate
          extraErrors={extraErrors}
          transformErrors={transformErrors}
          readonly={readOnly}
          translateString={translator(t)}
          experimental_defaultFormStateBehavior={{
            emptyObjectFields: "populateRequiredDefaults",
            arrayMinItems: { populate: "never" },
          }}
          onChange={(event: IChangeEvent) => onChange((event.formData ?? {}) as JsonObject)}
        />
      </FieldProblemsContext.Provider>
    </div>
  );
}

/** Return rjsf's string translator speaking the interface's language (its own English otherwise). */
function translator(t: TFunction) {
  const own: Partial<Record<TranslatableString, string>> = {
    [TranslatableString.AddItemButton]: t("form.addItem"),
    [TranslatableString.AddButton]: t("form.add"),
    [TranslatableString.RemoveButton]: t("form.remove"),
    [TranslatableString.MoveUpButton]: t("form.moveUp"),
    [TranslatableString.MoveDownButton]: t("form.moveDown"),
    [TranslatableString.CopyButton]: t("form.copy"),
    [TranslatableString.ClearButton]: t("form.clear"),
    [TranslatableString.NewStringDefault]: t("form.newValue"),
    [TranslatableString.YesLabel]: t("form.yes"),
    [TranslatableString.NoLabel]: t("form.no"),
  };
  // the ones that wrap a field's (translated) title or a key: one language on the line
  const withParams: Partial<Record<TranslatableString, (params: string[]) => string>> = {
    [TranslatableString.OptionPrefix]: ([number]) => t("form.option", { number }),
    [TranslatableString.TitleOptionPrefix]: ([title, number]) => t("form.titleOption", { title, number }),
    [TranslatableString.KeyLabel]: ([name]) => t("form.keyOf", { name }),
  };
  return (key: TranslatableString, params: string[] = []) =>
    withParams[key]?.(params) ?? own[key] ?? englishStringTranslator(key, params);
}
