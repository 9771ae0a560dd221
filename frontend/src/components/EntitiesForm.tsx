// A bot's entities as a form: each with its name, its kind (digits, a number, a list) and that
// kind's fields; a list's values each with the words and phrases that mean it. What the bot
// schema refuses is said at the entity, with its JSON pointer, as the change is made.
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import {
  addEntity, addValue, ENTITY_KINDS, entityErrors, entityPointer, isAt, removeEntity, removeValue,
  renameEntity, renameValue, setEntityKind, setSynonyms, updateEntity,
} from "../lib/bot-entities";
import type { EntityError } from "../lib/bot-entities";
import { freeName, linesOf } from "../lib/bot-doc";
import type { BotDocument, Entity, EntityKind } from "../lib/types";

type Change = (edit: (d: BotDocument) => BotDocument) => void;

export function EntitiesForm({ doc, readOnly, change }: { doc: BotDocument; readOnly: boolean; change: Change }) {
  const { t, i18n } = useTranslation();
  const entities = doc.entities ?? {};
  const names = Object.keys(entities);
  const errors = useMemo(() => entityErrors(doc, i18n.language), [doc, i18n.language]);
  return (
    <section className="entities" aria-labelledby="entities-title">
      <h2 id="entities-title">{t("bots.entities", { count: names.length })}</h2>
      {!names.length && <p className="muted">{t("bots.noEntities")}</p>}
      {names.map((name) => (
        <EntityFields key={name} name={name} entity={entities[name]} taken={names} readOnly={readOnly} change={change}
          errors={errors.filter((error) => isAt(error, entityPointer(name)))} />
      ))}
      {!readOnly && <button type="button" onClick={() => change((d) => addEntity(d, freeName(names, "new_entity")))}>{t("bots.addEntity")}</button>}
    </section>
  );
}

function EntityFields({ name, entity, taken, readOnly, change, errors }: {
  name: string; entity: Entity; taken: string[]; readOnly: boolean; change: Change; errors: EntityError[];
}) {
  const { t } = useTranslation();
  const [newName, setNewName] = useState(name);
  const [newValue, setNewValue] = useState("");
  const kinds: Record<EntityKind, string> = { digits: t("bots.kindDigits"), number: t("bots.kindNumber"), list: t("bots.kindList") };
  const invalid = (...path: string[]) => errors.some((error) => error.pointer === entityPointer(name, ...path));
  const update = (field: keyof Entity) => (value: number | undefined) => change((d) => updateEntity(d, name, { [field]: value }));
  const rename = () => {
    if (newName === name) return;
    if (!newName || taken.includes(newName)) setNewName(name);
    else change((d) => renameEntity(d, name, newName));
  };
  const add = () => {
    const value = newValue.trim();
    if (!value) return;
    change((d) => addValue(d, name, value));
    setNewValue("");
  };

  return (
    <fieldset className="entity" aria-label={t("bots.entity", { name })}>
      <div className="row">
        <label>{t("bots.entityName")}
          <input value={newName} readOnly={readOnly} aria-invalid={invalid()} onChange={(e) => setNewName(e.target.value)} onBlur={rename} />
        </label>
        <label>{t("bots.entityKind")}
          <select value={entity.kind} disabled={readOnly} aria-invalid={invalid("kind")}
            onChange={(e) => change((d) => setEntityKind(d, name, e.target.value as EntityKind))}>
            {!ENTITY_KINDS.includes(entity.kind) && <option value={entity.kind}>{String(entity.kind)}</option>}
            {ENTITY_KINDS.map((kind) => <option key={kind} value={kind}>{kinds[kind]}</option>)}
          </select>
        </label>
        {!readOnly && <button type="button" className="danger" onClick={() => change((d) => removeEntity(d, name))}>{t("bots.removeEntity")}</button>}
      </div>
      <label>{t("bots.entityDescription")}
        <input value={entity.description ?? ""} readOnly={readOnly}
          onChange={(e) => change((d) => updateEntity(d, name, { description: e.target.value || undefined }))} />
      </label>
      {entity.kind === "digits" && (
        <div className="row">
          <NumberField label={t("bots.minLength")} value={entity.min_length} readOnly={readOnly} invalid={invalid("min_length")} onChange={update("min_length")} />
          <NumberField label={t("bots.maxLength")} value={entity.max_length} readOnly={readOnly} invalid={invalid("max_length")} onChange={update("max_length")} />
        </div>
      )}
      {entity.kind === "number" && (
        <div className="row">
          <NumberField label={t("bots.minimum")} value={entity.minimum} readOnly={readOnly} invalid={invalid("minimum")} onChange={update("minimum")} />
          <NumberField label={t("bots.maximum")} value={entity.maximum} readOnly={readOnly} invalid={invalid("maximum")} onChange={update("maximum")} />
        </div>
      )}
      {entity.kind === "list" && (
        <div className="entity-values">
          <h3>{t("bots.values")}</h3>
          {Object.entries(entity.values ?? {}).map(([value, synonyms]) => (
            <ListValue key={value} entity={name} value={value} synonyms={synonyms} taken={Object.keys(entity.values ?? {})}
              readOnly={readOnly} change={change} invalid={errors.some((error) => isAt(error, entityPointer(name, "values", value)))} />
          ))}
          {!readOnly && (
            <div className="row add-value">
              <label>{t("bots.newValue")}
                <input value={newValue} onChange={(e) => setNewValue(e.target.value)}
                  onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); add(); } }} />
              </label>
              <button type="button" onClick={add} disabled={!newValue.trim()}>{t("bots.addValue")}</button>
            </div>
          )}
        </div>
      )}
      {errors.length > 0 && (
        <ul className="entity-errors" role="alert" aria-label={t("bots.entityErrors", { name })}>
          {errors.map((error, i) => <li key={i} className="error"><code>{error.pointer}</code> {error.message}</li>)}
        </ul>
      )}
    </fieldset>
  );
}

function ListValue({ entity, value, synonyms, taken, readOnly, change, invalid }: {
  entity: string; value: string; synonyms: string[]; taken: string[]; readOnly: boolean; change: Change; invalid: boolean;
}) {
  const { t } = useTranslation();
  const [newName, setNewName] = useState(value);
  const rename = () => {
    if (newName === value) return;
    if (!newName || taken.includes(newName)) setNewName(value);
    else change((d) => renameValue(d, entity, value, newName));
  };
  return (
    <div className="entity-value" role="group" aria-label={t("bots.value", { name: value })}>
      <label>{t("bots.valueName")}
        <input value={newName} readOnly={readOnly} aria-invalid={invalid} onChange={(e) => setNewName(e.target.value)} onBlur={rename} />
      </label>
      <label>{t("bots.synonyms")}
        <textarea rows={2} readOnly={readOnly} defaultValue={synonyms.join("\n")} aria-invalid={invalid}
          onChange={(e) => change((d) => setSynonyms(d, entity, value, linesOf(e.target.value)))} />
      </label>
      {!readOnly && <button type="button" className="danger" aria-label={t("bots.removeValue", { name: value })}
        onClick={() => change((d) => removeValue(d, entity, value))}>×</button>}
    </div>
  );
}

/** A number that may be left out: an empty field removes it. */
function NumberField({ label, value, readOnly, invalid, onChange }: {
  label: string; value: number | undefined; readOnly: boolean; invalid: boolean; onChange: (value: number | undefined) => void;
}) {
  return (
    <label>{label}
      <input type="number" value={value ?? ""} readOnly={readOnly} aria-invalid={invalid}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} />
    </label>
  );
}
