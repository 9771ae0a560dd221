// The builder API (/api/v1) as the editor uses it. Writes made with the session cookie carry
// the CSRF token from GET /session; errors become ApiError with the envelope's code.
import type {
  AuditEntry, BlockManifest, BotSummary, Classification, Contact, ContactEvent, DocumentDiff, Execution,
  ExecutionSummary, FlowDiff, FlowDocument, FlowSummary, JsonObject, Problem, ResponsePreview,
  SessionInfo, Simulation, Version,
} from "./types";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    readonly retryAfter: number | null = null,
  ) {
    super(message || code);
  }
}

let csrfToken: string | null = null;

/** Remember the CSRF token that every write must carry. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

interface Options {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Call the API and return the response (throws ApiError on any error status). */
export async function call(path: string, options: Options = {}): Promise<Response> {
  let response = await send(path, options);
  if (response.status === 403 && (options.method ?? "GET") !== "GET") {
    const error = await errorOf(response.clone());
    // the token changes when the server restarts (local mode) or the session was renewed:
    // fetch the current one and try once more
    if (error.code === "csrf_failed" && (await renewCsrfToken())) response = await send(path, options);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function send(path: string, options: Options): Promise<Response> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  return fetch(API + path, {
    method, headers, credentials: "same-origin",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

/** Fetch the session's current CSRF token; false when there is no session any more. */
async function renewCsrfToken(): Promise<boolean> {
  const response = await send("/session", {});
  if (!response.ok) return false;
  const info = (await response.json()) as SessionInfo;
  setCsrfToken(info.csrf_token);
  return true;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText;
  let details: unknown = null;
  try {
    const body = await response.json();
    if (body?.error) ({ code = code, message = message, details = null } = body.error);
  } catch {
    // not JSON: keep the status
  }
  const retry = Number(response.headers.get("Retry-After"));
  return new ApiError(response.status, code, message, details, Number.isFinite(retry) && retry > 0 ? retry : null);
}

async function json<T>(path: string, options?: Options): Promise<T> {
  const response = await call(path, options);
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

const flow = (id: string) => `/flows/${encodeURIComponent(id)}`;
const quoted = (etag: string) => (etag.startsWith('"') || etag.startsWith("W/") ? etag : `"${etag}"`);
const unquoted = (etag: string | null) => (etag ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");

export const api = {
  session: () => json<SessionInfo>("/session"),
  signIn: (name: string, password: string) => json<SessionInfo>("/session", { method: "POST", body: { name, password } }),
  signOut: () => json<void>("/session", { method: "DELETE" }),
  setLanguage: (language: string) => json<SessionInfo>("/session", { method: "PATCH", body: { language } }),

  blocks: () => json<{ blocks: BlockManifest[]; broken: unknown[] }>("/blocks"),
  bots: () => json<{ bots: BotSummary[]; problems: Problem[] }>("/bots"),

  flows: () => json<{ flows: FlowSummary[] }>("/flows"),
  createFlow: (id: string, name?: string) => json<{ id: string; etag: string }>("/flows", { method: "POST", body: { id, ...(name ? { name } : {}) } }),
  deleteFlow: (id: string) => json<void>(flow(id), { method: "DELETE" }),
  renameFlow: (id: string, newId: string) => json<{ id: string }>(`${flow(id)}/rename`, { method: "POST", body: { id: newId } }),
  duplicateFlow: (id: string, newId: string, name?: string) =>
    json<{ id: string; etag: string }>(`${flow(id)}/duplicate`, { method: "POST", body: { id: newId, ...(name ? { name } : {}) } }),

  async draft(id: string): Promise<{ doc: FlowDocument; etag: string }> {
    const response = await call(`${flow(id)}/draft`);
    return { doc: (await response.json()) as FlowDocument, etag: unquoted(response.headers.get("ETag")) };
  },
  saveDraft: (id: string, doc: FlowDocument, etag: string | null) =>
    json<{ etag: string; saved_at: string }>(`${flow(id)}/draft`, {
      method: "PUT", body: doc, headers: etag ? { "If-Match": quoted(etag) } : {},
    }),
  discardDraft: (id: string) => json<void>(`${flow(id)}/draft`, { method: "DELETE" }),
  validate: (id: string, doc: FlowDocument) => json<{ ok: boolean; problems: Problem[] }>(`${flow(id)}/validate`, { method: "POST", body: doc }),
  publish: (id: string, note: string, etag: string | null) =>
    json<{ number: number; content_hash: string; commit: string | null; published_at: string }>(`${flow(id)}/publish`, {
      method: "POST", body: { note }, headers: etag ? { "If-Match": quoted(etag) } : {},
    }),

  simulate: (id: string, body: { channel: string; trigger?: string; vars?: JsonObject; now?: string }) =>
    json<Simulation>(`${flow(id)}/simulations`, { method: "POST", body }),
  simInput: (sid: string, text: string) => json<Simulation>(`/simulations/${encodeURIComponent(sid)}/inputs`, { method: "POST", body: { text } }),

  executions: (id: string, limit = 50, before?: string) =>
    json<{ executions: ExecutionSummary[] }>(`${flow(id)}/executions?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ""}`),
  execution: (eid: string) => json<Execution>(`/executions/${encodeURIComponent(eid)}`),

  contactOfSession: (sid: string) => json<{ contacts: Contact[] }>(`/contacts?session=${encodeURIComponent(sid)}`),
  contactTimeline: (cid: string, limit = 100) =>
    json<{ contact: string; entries: ContactEvent[] }>(`/contacts/${encodeURIComponent(cid)}/timeline?limit=${limit}`),

  audit: (limit = 100, before?: string) =>
    json<{ entries: AuditEntry[] }>(`/audit?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ""}`),
};

/** Return the etag a 409 version_mismatch names in its details, when it does. */
export function currentEtagOf(error: ApiError): string | null {
  const details = error.details as Record<string, unknown> | unknown[] | null;
  const pick = (value: unknown): string | null => {
    if (value && typeof value === "object" && "etag" in value) return unquoted(String((value as { etag: unknown }).etag));
    return null;
  };
  if (Array.isArray(details)) {
    for (const item of details) if (pick(item)) return pick(item);
    return null;
  }
  return pick(details);
}

/** The kinds of document edited like flows (drafts, versions, publishing): their API paths. */
export type DocumentKind = "bots" | "responses";

const doc = (kind: DocumentKind, id: string) => `/${kind}/${encodeURIComponent(id)}`;

/** The drafts-and-versions API of bots and responses sets: the same as flows'. */
export const documents = {
  list: <T>(kind: DocumentKind) => json<T>(`/${kind}`),
  create: (kind: DocumentKind, id: string, name?: string) =>
    json<{ id: string; etag: string }>(`/${kind}`, { method: "POST", body: { id, ...(name ? { name } : {}) } }),
  async draft<T>(kind: DocumentKind, id: string): Promise<{ doc: T; etag: string }> {
    const response = await call(`${doc(kind, id)}/draft`);
    return { doc: (await response.json()) as T, etag: unquoted(response.headers.get("ETag")) };
  },
  saveDraft: (kind: DocumentKind, id: string, body: unknown, etag: string | null) =>
    json<{ etag: string; saved_at: string }>(`${doc(kind, id)}/draft`, {
      method: "PUT", body, headers: etag ? { "If-Match": quoted(etag) } : {},
    }),
  publish: (kind: DocumentKind, id: string, note: string, etag: string | null) =>
    json<{ number: number; content_hash: string; commit: string | null; published_at: string }>(`${doc(kind, id)}/publish`, {
      method: "POST", body: { note }, headers: etag ? { "If-Match": quoted(etag) } : {},
    }),
  /** The published document that runs. */
  live: <T>(kind: DocumentKind, id: string) => json<T>(doc(kind, id)),
  remove: (kind: DocumentKind, id: string) => json<void>(doc(kind, id), { method: "DELETE" }),

  classify: (id: string, text: string, language?: string) =>
    json<Classification>(`${doc("bots", id)}/classify`, { method: "POST", body: { text, ...(language ? { language } : {}) } }),
  preview: (id: string, response: JsonObject, language: string) =>
    json<ResponsePreview>(`${doc("responses", id)}/preview`, { method: "POST", body: { response, language } }),
};

/** Every kind of document with numbered versions: flows, bots, responses sets. */
export type VersionedKind = "flows" | DocumentKind;

/** What changed between two sides of a kind's document (a version number, or the draft). */
export type DiffOf<K extends VersionedKind> = K extends "flows" ? FlowDiff : DocumentDiff;

const versioned = (kind: VersionedKind, id: string) => `/${kind}/${encodeURIComponent(id)}`;

/** The versions API, the same for every kind: list, read one, compare two sides, roll back. */
export const versions = {
  list: (kind: VersionedKind, id: string) => json<{ versions: Version[] }>(`${versioned(kind, id)}/versions`),
  get: <T = JsonObject>(kind: VersionedKind, id: string, n: number) => json<T>(`${versioned(kind, id)}/versions/${n}`),
  diff: <K extends VersionedKind>(kind: K, id: string, from: number | "draft", to: number | "draft") =>
    json<DiffOf<K>>(`${versioned(kind, id)}/diff?from=${from}&to=${to}`),
  rollback: (kind: VersionedKind, id: string, version: number, note?: string) =>
    json<{ number: number }>(`${versioned(kind, id)}/rollback`, { method: "POST", body: { version, ...(note ? { note } : {}) } }),
};
