// The block catalogue from GET /blocks: manifests by type (a pinned `type@2` finds its major
// version), by category for the palette, and a new block's starting config from its schema.
import { getDefaultFormState } from "@rjsf/utils";
import type { RJSFSchema } from "@rjsf/utils";
import type { BlockManifest, JsonObject } from "./types";
import { formValidator } from "./validator";

export class Catalog {
  readonly manifests: BlockManifest[];
  private readonly latest = new Map<string, BlockManifest>();

  constructor(manifests: BlockManifest[]) {
    this.manifests = manifests;
    for (const manifest of manifests) {
      const known = this.latest.get(manifest.type);
      if (!known || compareVersions(manifest.version, known.version) > 0) this.latest.set(manifest.type, manifest);
    }
  }

  /** Return the manifest of a block type as a flow names it (`say`, `acme.crm_lookup@2`). */
  find(type: string): BlockManifest | undefined {
    const [name, major] = type.split("@");
    if (major === undefined) return this.latest.get(name);
    return this.manifests
      .filter((m) => m.type === name && m.version.split(".")[0] === major)
      .sort((a, b) => compareVersions(b.version, a.version))[0];
  }

  /** Return the newest version of each type, grouped by category, both in alphabetical order. */
  byCategory(query = ""): [string, BlockManifest[]][] {
    const needle = query.trim().toLowerCase();
    const groups = new Map<string, BlockManifest[]>();
    for (const manifest of this.latest.values()) {
      const haystack = `${manifest.type} ${manifest.title} ${manifest.category} ${manifest.description ?? ""}`.toLowerCase();
      if (needle && !haystack.includes(needle)) continue;
      const group = groups.get(manifest.category) ?? [];
      group.push(manifest);
      groups.set(manifest.category, group);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, list]) => [category, list.sort((a, b) => a.title.localeCompare(b.title))]);
  }
}

/** Compare two dotted versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff) return diff;
  }
  return 0;
}

/** Return the config a new block of this type starts with: the defaults of its required fields. */
export function startingConfig(manifest: BlockManifest): JsonObject {
  const schema = manifest.config_schema as RJSFSchema;
  const config = getDefaultFormState(formValidator(), schema, {}, schema, false, {
    emptyObjectFields: "populateRequiredDefaults",
    arrayMinItems: { populate: "requiredOnly" },
  });
  return (config ?? {}) as JsonObject;
}
