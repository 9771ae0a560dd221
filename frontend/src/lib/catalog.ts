// The block catalogue from GET /blocks: manifests by type (a pinned `type@2` finds its major
// version), by category for the palette, and a new block's starting config from its schema.
import { getDefaultFormState } from "@rjsf/utils";
import type { RJSFSchema } from "@rjsf/utils";
import { blockText, translationOf } from "./block-i18n";
import type { BlockManifest, JsonObject } from "./types";
import { formValidator } from "./validator";

export class Catalog {
  readonly manifests: BlockManifest[];
  /** The live bots' intent exits by bot id, for the exits of `bot` blocks (lib/exits). */
  readonly bots: ReadonlyMap<string, string[]>;
  private readonly latest = new Map<string, BlockManifest>();

  constructor(manifests: BlockManifest[], bots: ReadonlyMap<string, string[]> = new Map()) {
    this.manifests = manifests;
    this.bots = bots;
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

  /**
   * Return the newest version of each type whose texts match `query`, grouped by category, in
   * `language`: a group's heading is its category as a manifest of it translates it (else as
   * written), and headings and titles are in that language's alphabetical order.
   */
  byCategory(query = "", language = "en"): PaletteGroup[] {
    const needle = query.trim().toLocaleLowerCase(language);
    const headings = this.headings(language);
    const groups = new Map<string, PaletteGroup>();
    for (const manifest of this.latest.values()) {
      const text = blockText(manifest, language);
      const heading = headings.get(manifest.category)!;
      // the manifest's own texts too: a Russian analyst may still type "menu"
      const haystack = [manifest.type, text.title, heading, text.description, manifest.title, manifest.category,
        manifest.description].join(" ").toLocaleLowerCase(language);
      if (needle && !haystack.includes(needle)) continue;
      const group = groups.get(manifest.category) ?? { category: manifest.category, heading, blocks: [] };
      group.blocks.push({ manifest, ...text });
      groups.set(manifest.category, group);
    }
    const collator = new Intl.Collator(language);
    return [...groups.values()]
      .sort((a, b) => collator.compare(a.heading, b.heading))
      .map((group) => ({ ...group, blocks: group.blocks.sort((a, b) => collator.compare(a.title, b.title)) }));
  }

  /** Return each category's heading in `language`: the first translation of it, by block type. */
  private headings(language: string): Map<string, string> {
    const headings = new Map<string, string>();
    const byType = [...this.latest.values()].sort((a, b) => a.type.localeCompare(b.type));
    for (const manifest of byType) {
      const translated = translationOf(manifest, language)?.category;
      if (translated && !headings.has(manifest.category)) headings.set(manifest.category, translated);
    }
    for (const manifest of byType) if (!headings.has(manifest.category)) headings.set(manifest.category, manifest.category);
    return headings;
  }
}

/** One category of the palette: its own name, its heading in the interface's language, its blocks. */
export interface PaletteGroup {
  category: string;
  heading: string;
  blocks: { manifest: BlockManifest; title: string; description?: string }[];
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
