// Test fixtures: the real built-in manifests (blocks/builtin/*.json) and the example flows.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalog } from "../src/lib/catalog";
import type { BlockManifest, FlowDocument } from "../src/lib/types";

// a path from a string: under jsdom, `URL` is jsdom's and fileURLToPath refuses it
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** Return every built-in block manifest, plus the example partner's. */
export function manifests(): BlockManifest[] {
  const dirs = [join(ROOT, "blocks/builtin"), join(ROOT, "examples/acme-crm/acme_crm")];
  return dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf-8")) as BlockManifest));
}

export function catalog(): Catalog {
  return new Catalog(manifests());
}

/** Return the example workspace's flows (bank-ivr, support-bot...). */
export function exampleFlows(): FlowDocument[] {
  const dir = join(ROOT, "examples/workspace/flows");
  return readdirSync(dir).filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf-8")) as FlowDocument);
}

export const MENU_FLOW: FlowDocument = {
  schema: "callwright/flow@1",
  id: "support-line",
  name: "Support line",
  description: "Main inbound line",
  start: "welcome",
  settings: { language: "en-US", max_steps: 500 },
  variables: { tier: "standard" },
  blocks: {
    welcome: { type: "say", config: { text: "Welcome to Acme." }, exits: { next: "main_menu" } },
    main_menu: {
      type: "menu",
      config: {
        prompt: "For your balance press 1. For an agent press 0.",
        options: [{ key: "1", label: "Balance", exit: "balance" }, { key: "0", label: "Agent", exit: "agent" }],
      },
      exits: { balance: "bye", agent: "bye", failed: "bye" },
    },
    bye: { type: "end", config: {} },
  },
  layout: { welcome: { x: 0, y: 0 }, main_menu: { x: 240, y: 0 }, bye: { x: 480, y: 0 } },
};
