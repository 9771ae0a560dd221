// Changes to a bot's entities as the entities form makes them (each returns a new document, the
// entities and a list's values kept in their order), and the schema's errors about them.
import type { RJSFValidationError } from "@rjsf/utils";
import botSchema from "../../../schemas/bot.schema.json";
import type { BotDocument, Entity, EntityKind } from "./types";
import { formValidator } from "./validator";

export const ENTITY_KINDS: EntityKind[] = ["digits", "number", "list"];
/** The fields each kind has besides `kind` and `description`; another kind's go on a change. */
const KIND_FIELDS: Record<EntityKind, (keyof Entity)[]> = {
  digits: ["min_length", "max_length"],
  number: ["minimum", "maximum"],
  list: ["values"],
};

type Edit<T> = (value: T) => T;

/** Set a bot's entities; none at all leaves the key out, as the schema's example does. */
function withEntities(doc: BotDocument, entities: Record<string, Entity>): BotDocument {
  const next: BotDocument = { ...doc, entities };
  if (!Object.keys(entities).length) delete next.entities;
  return next;
}

/** Rename a key of an object in its place; an empty name or one taken changes nothing. */
function renamed<T>(items: Record<string, T>, from: string, to: string): Record<string, T> {
  if (from === to || !to || to in items) return items;
  return Object.fromEntries(Object.entries(items).map(([name, item]) => [name === from ? to : name, item]));
}

function without<T>(items: Record<string, T>, name: string): Record<string, T> {
  const rest = { ...items };
  delete rest[name];
  return rest;
}

/** Add an entity (digits, until its kind is chosen) at the end. */
export function addEntity(doc: BotDocument, name: string): BotDocument {
  return withEntities(doc, { ...(doc.entities ?? {}), [name]: { kind: "digits" } });
}

export function removeEntity(doc: BotDocument, name: string): BotDocument {
  return withEntities(doc, without(doc.entities ?? {}, name));
}

export function renameEntity(doc: BotDocument, from: string, to: string): BotDocument {
  const entities = doc.entities ?? {};
  const next = renamed(entities, from, to);
  return next === entities ? doc : withEntities(doc, next);
}

function editEntity(doc: BotDocument, name: string, edit: Edit<Entity>): BotDocument {
  const entities = doc.entities ?? {};
  return withEntities(doc, { ...entities, [name]: edit(entities[name]) });
}

/** Change an entity's fields (a field set to undefined is removed). */
export function updateEntity(doc: BotDocument, name: string, change: Partial<Entity>): BotDocument {
  return editEntity(doc, name, (entity) => {
    const next: Entity = { ...entity, ...change };
    for (const [key, value] of Object.entries(change)) if (value === undefined) delete next[key as keyof Entity];
    return next;
  });
}

/** Give an entity another kind: the old kind's fields go (a list starts with no values). */
export function setEntityKind(doc: BotDocument, name: string, kind: EntityKind): BotDocument {
  return editEntity(doc, name, (entity) => {
    const next: Entity = { ...entity, kind };
    for (const other of ENTITY_KINDS) if (other !== kind) for (const field of KIND_FIELDS[other]) delete next[field];
    if (kind === "list" && !next.values) next.values = {};
    return next;
  });
}

function editValues(doc: BotDocument, name: string, edit: Edit<Record<string, string[]>>): BotDocument {
  return editEntity(doc, name, (entity) => ({ ...entity, values: edit(entity.values ?? {}) }));
}

/** Add a value to a list entity, with no synonyms yet (its name counts as one). */
export function addValue(doc: BotDocument, name: string, value: string): BotDocument {
  return editValues(doc, name, (values) => (value in values ? values : { ...values, [value]: [] }));
}

export function removeValue(doc: BotDocument, name: string, value: string): BotDocument {
  return editValues(doc, name, (values) => without(values, value));
}

export function renameValue(doc: BotDocument, name: string, from: string, to: string): BotDocument {
  return editValues(doc, name, (values) => renamed(values, from, to));
}

export function setSynonyms(doc: BotDocument, name: string, value: string, synonyms: string[]): BotDocument {
  return editValues(doc, name, (values) => ({ ...values, [value]: synonyms }));
}

/** One thing the schema says is wrong with an entity: where (a JSON pointer), and what. */
export interface EntityError {
  pointer: string;
  message: string;
}

// The bot schema as the browser's ajv takes it: ajv here is draft-07 (the schema's 2020-12
// `$schema` would be refused; nothing the entities use differs), and a JavaScript `\w` is ASCII
// only where the server's (Python) matches any letter, so "дебетовая" would be refused here
// alone: `\w` becomes Unicode letters, digits and `_`.
const UNICODE_WORD = "[\\p{L}\\p{N}_]";
const SCHEMA = JSON.parse(JSON.stringify({ ...botSchema, $schema: undefined })
  .replaceAll('"pattern":"\\\\w"', `"pattern":${JSON.stringify(UNICODE_WORD)}`));

const escape = (name: string) => name.replaceAll("~", "~0").replaceAll("/", "~1");

/** The pointer of an entity (or of one of its fields) in the bot. */
export function entityPointer(name: string, ...path: string[]): string {
  return ["", "entities", name, ...path].map(escape).join("/");
}

/**
 * Return the schema's errors about a bot's entities, in `language` (English or Russian), each at
 * its JSON pointer; a bad entity or value name is told at that entity or value.
 */
export function entityErrors(doc: BotDocument, language = "en"): EntityError[] {
  const { errors = [] } = formValidator(language).rawValidation<RJSFValidationError & {
    instancePath: string; keyword: string; params: Record<string, unknown>; propertyName?: string;
  }>(SCHEMA, doc);
  return errors
    .filter((error) => error.instancePath === "/entities" || error.instancePath.startsWith("/entities/"))
    // `if` only repeats its `then`'s error; `propertyNames` only says that its `pattern` failed
    .filter((error) => error.keyword !== "if" && !(error.keyword === "propertyNames"))
    .map((error) => ({
      pointer: error.propertyName !== undefined ? `${error.instancePath}/${escape(error.propertyName)}` : error.instancePath,
      message: (error.message ?? error.keyword).replaceAll(UNICODE_WORD, "\\w"),
    }));
}

/** Say whether an error is about the entity or value at `pointer`, or anything inside it. */
export function isAt(error: EntityError, pointer: string): boolean {
  return error.pointer === pointer || error.pointer.startsWith(`${pointer}/`);
}
