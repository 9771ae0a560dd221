// The bot and responses editors' store against a small in-memory server speaking the API's
// drafts protocol (ETag, If-Match, 409 version_mismatch, 422 with problems).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDocumentStore } from "../src/store/document-store";
import type { BotDocument } from "../src/lib/types";

const BOT: BotDocument = { schema: "callwright/bot@1", id: "bank", languages: ["en"], intents: { hi: { examples: { en: ["hello"] } } } };

class Server {
  etag = "e1";
  doc: unknown = BOT;
  requests: { method: string; path: string; ifMatch: string | null }[] = [];
  refusePublish = false;

  handle = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const method = init.method ?? "GET";
    const headers = (init.headers ?? {}) as Record<string, string>;
    const ifMatch = headers["If-Match"] ?? null;
    const path = url.replace("/api/v1", "");
    this.requests.push({ method, path, ifMatch });
    const error = (status: number, code: string, details: unknown[] = []) =>
      new Response(JSON.stringify({ error: { code, message: code, details } }), { status, headers: { "Content-Type": "application/json" } });
    if (method === "GET" && path === "/bots/bank/draft") return new Response(JSON.stringify(this.doc), { headers: { ETag: `"${this.etag}"` } });
    if (ifMatch !== `"${this.etag}"`) return error(409, "version_mismatch", [{ pointer: "", etag: this.etag }]);
    if (method === "PUT") {
      this.doc = JSON.parse(String(init.body));
      this.etag = `e${Number(this.etag.slice(1)) + 1}`;
      return new Response(JSON.stringify({ etag: this.etag, saved_at: "now" }), { headers: { ETag: `"${this.etag}"` } });
    }
    if (method === "POST" && path === "/bots/bank/publish") {
      if (this.refusePublish) return error(422, "invalid_bot", [{ pointer: "/intents/hi/response", message: "no such response", severity: "error" }]);
      return new Response(JSON.stringify({ number: 2, content_hash: "h", commit: null, published_at: "now" }), { status: 201 });
    }
    return error(404, "not_found");
  };
}

let server: Server;
beforeEach(() => {
  server = new Server();
  vi.stubGlobal("fetch", vi.fn(server.handle));
});
afterEach(() => vi.unstubAllGlobals());

describe("the document store", () => {
  it("saves over the copy it read, and then over the one it saved", async () => {
    const store = createDocumentStore("bots", BOT, "e1");
    store.getState().change((d) => ({ ...d, name: "Bank" }));
    expect(store.getState().dirty).toBe(true);
    expect(await store.getState().save()).toBe(true);
    expect(store.getState()).toMatchObject({ etag: "e2", dirty: false, saveState: "saved" });
    store.getState().change((d) => ({ ...d, name: "Bank 2" }));
    await store.getState().save();
    expect(server.requests.filter((r) => r.method === "PUT").map((r) => r.ifMatch)).toEqual(['"e1"', '"e2"']);
  });

  it("turns a save over a stale copy into a conflict and overwrites nothing", async () => {
    const store = createDocumentStore("bots", BOT, "e1");
    server.etag = "e7"; // someone else saved meanwhile
    store.getState().change((d) => ({ ...d, name: "Mine" }));
    expect(await store.getState().save()).toBe(false);
    expect(store.getState().conflict).toEqual({ theirEtag: "e7" });
    expect(server.doc).toBe(BOT);
    await store.getState().reload();
    expect(store.getState()).toMatchObject({ etag: "e7", dirty: false, conflict: null });
  });

  it("saves unsaved changes before publishing, and publishes that copy", async () => {
    const store = createDocumentStore("bots", BOT, "e1");
    store.getState().change((d) => ({ ...d, name: "Bank" }));
    expect(await store.getState().publish("first")).toEqual({ number: 2 });
    const publish = server.requests.find((r) => r.path === "/bots/bank/publish")!;
    expect(publish.ifMatch).toBe('"e2"');
  });

  it("gives back the problems of a refused publish", async () => {
    server.refusePublish = true;
    const store = createDocumentStore("bots", BOT, "e1");
    const result = await store.getState().publish("");
    expect(result).toEqual({ problems: [{ pointer: "/intents/hi/response", message: "no such response", severity: "error" }] });
    expect(store.getState().problems).toHaveLength(1);
  });

  it("reads the working copy again after a rollback, and says the versions and the forms are to be read again", async () => {
    const store = createDocumentStore("bots", BOT, "e1");
    server.doc = { ...BOT, name: "Rolled back" };
    server.etag = "e5";
    await store.getState().restored();
    expect(store.getState()).toMatchObject({ etag: "e5", dirty: false, loaded: 1, published: 1 });
    expect(store.getState().doc.name).toBe("Rolled back");
  });

  it("counts a publish as a change of the versions, not of the working copy's fields", async () => {
    const store = createDocumentStore("bots", BOT, "e1");
    await store.getState().publish("");
    expect(store.getState()).toMatchObject({ loaded: 0, published: 1 });
  });
});
