// The shapes the editor reads from the server (DESIGN.md: the flow document, block manifests,
// the builder API). Unknown fields are allowed everywhere: the editor keeps what it does not know.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Block {
  type: string;
  label?: string;
  notes?: string;
  config?: JsonObject;
  exits?: Record<string, string>;
  [extra: string]: Json | undefined;
}

export interface Position {
  x: number;
  y: number;
}

export interface FlowDocument {
  schema: string;
  id: string;
  name?: string;
  description?: string;
  start: string;
  settings?: JsonObject;
  variables?: JsonObject;
  blocks: Record<string, Block>;
  layout?: Record<string, Position>;
  [extra: string]: Json | undefined | Record<string, Block> | Record<string, Position>;
}

export interface ExitsFrom {
  list: string;
  field?: string;
}

/** A config field's texts in one language (schemas/block.schema.json: `i18n.<lang>.fields`). */
export interface FieldTranslation {
  title?: string;
  description?: string;
}

/** A block's texts in one language: any part may be left out (the manifest's own is shown). */
export interface BlockTranslation {
  title?: string;
  category?: string;
  description?: string;
  fields?: Record<string, FieldTranslation>;
  exits?: Record<string, string>;
}

export interface BlockManifest {
  type: string;
  version: string;
  title: string;
  category: string;
  icon?: string;
  description?: string;
  config_schema: JsonObject;
  exits: string[];
  exits_from?: ExitsFrom[];
  /** The config field naming a bot: its intents without a response are exits too. */
  intent_exits?: string;
  waits?: boolean;
  channels?: string[];
  i18n?: Record<string, BlockTranslation>;
  source?: string;
}

export interface Problem {
  severity: "error" | "warning";
  pointer: string;
  message: string;
  block?: string | null;
  field?: string | null;
  line?: number | null;
}

export interface User {
  name: string;
  role: "viewer" | "editor" | "admin";
  display_name?: string;
  language?: string;
}

export interface SessionInfo {
  user: User;
  csrf_token: string;
  local_mode: boolean;
}

export interface FlowSummary {
  id: string;
  name?: string;
  description?: string;
  live: { number: number; content_hash: string; published_at: string; author: string } | null;
  draft: { etag: string; saved_at: string; saved_by: string } | null;
}

export interface Version {
  number: number;
  content_hash: string;
  author: string;
  note?: string;
  source?: string;
  commit?: string | null;
  created_at: string;
}

export interface FlowDiff {
  from: number | string;
  to: number | string;
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
  moved: string[];
  flow_fields: string[];
}

/** What changed in a bot or a responses set: items named `section/name` (`intents/greeting`). */
export interface DocumentDiff {
  from: number | string;
  to: number | string;
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
  fields: string[];
}

export interface PathStep {
  flow: string;
  block: string;
  exit: string | null;
}

export interface SimEvent {
  event: string;
  block?: string;
  text?: string;
  speak?: string;
  prompt?: string;
  kind?: string;
  choices?: { key: string; label?: string }[];
  mode?: string;
  target?: Json;
  message?: string;
  disposition?: string;
  steps?: number;
  [extra: string]: Json | undefined;
}

export interface Simulation {
  simulation: string;
  events: SimEvent[];
  path: PathStep[];
  vars: JsonObject;
  ended: boolean;
}

export interface ExecutionSummary {
  execution: string;
  channel: string;
  status: string;
  disposition: string | null;
  turns: number;
  steps: number;
  started_at: number; // unix seconds
  updated_at: number;
}

export interface ExecutionStep {
  turn: number;
  flow_id: string;
  block: string;
  exit: string | null;
  ms: number;
  changes: JsonObject | null;
  note: string | null;
  at: string;
}

export interface Execution {
  execution: string;
  flow: string;
  channel: string;
  status: string;
  disposition: string | null;
  steps: ExecutionStep[];
}

export interface ContactIdentity {
  kind: "phone" | "email" | "chat" | "crm_id";
  value: string;
}

export interface Contact {
  contact: string;
  identities: ContactIdentity[];
  attributes: Record<string, unknown>;
  last_channel: string | null;
  last_seen: number | null;
  sessions: number;
}

/** One entry of a contact's timeline: a session started, a message, a disposition. */
export interface ContactEvent {
  id: number;
  at: number;
  channel: string;
  kind: "session" | "message" | "disposition";
  direction: "in" | "out" | null;
  session: string | null;
  flow: string | null;
  text: string | null;
}

export interface AuditEntry {
  at: string;
  actor: string;
  actor_kind: string;
  action: string;
  target_kind: string;
  target_id: string;
  detail: Json;
}

/** A bot as GET /bots lists it: a live one also with its languages and intents. */
export interface BotSummary extends FlowSummary {
  version?: string;
  languages?: string[];
  intents?: { name: string; response?: string }[];
}

/** A bot document (schemas/bot.schema.json), as the bot editor changes it. */
export interface BotDocument {
  schema: "callwright/bot@1";
  id: string;
  name?: string;
  description?: string;
  languages: string[];
  min_confidence?: number;
  intents: Record<string, Intent>;
  entities?: Record<string, Entity>;
}

/** What an entity picks out of a message: digits, a number, or one of a list's values. */
export type EntityKind = "digits" | "number" | "list";

/** An entity of a bot (schemas/bot.schema.json `$defs/entity`). */
export interface Entity {
  kind: EntityKind;
  description?: string;
  /** digits: the fewest and the most digits */
  min_length?: number;
  max_length?: number;
  /** number: the smallest and the largest value */
  minimum?: number;
  maximum?: number;
  /** list: each value by name, with the words and phrases that mean it */
  values?: Record<string, string[]>;
}

export interface Intent {
  examples: Record<string, string[]>;
  keywords?: Record<string, string[]>;
  response?: string;
  description?: string;
}

/** What POST /bots/{id}/classify made of a phrase. */
export interface Classification {
  intent: string | null;
  confidence: number;
  entities: Record<string, Json>;
  language: string | null;
  text: string;
  response: string | null;
  understood: boolean;
  min_confidence: number;
}

/** A responses set (schemas/responses.schema.json). */
export interface ResponsesDocument {
  schema: "callwright/responses@1";
  id: string;
  name?: string;
  description?: string;
  responses: Record<string, ResponseContent>;
}

export interface ResponseContent {
  text?: string;
  audio?: string;
  subject?: string;
  html?: string;
  quick_replies?: string[];
  channel?: string;
  language?: string;
  variants?: ResponseContent[];
}

/** What each channel makes of a response (POST /responses/{id}/preview). */
export interface ResponsePreview {
  language: string;
  channels: {
    voice: { speak?: string; play?: string };
    chat: { text: string; quick_replies: string[] };
    sms: { text: string; encoding: "gsm7" | "ucs2"; units: number; segments: number; parts: string[] };
    email: { subject?: string; text?: string; html?: string };
  };
}
