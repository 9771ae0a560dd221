// The catalogues are complete: every key the code uses is in English and Russian, no key is
// unused, plural forms are all there, and both say the same {{placeholders}}.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import en from "../src/i18n/en.json";
import ru from "../src/i18n/ru.json";

const SRC = fileURLToPath(new URL("../src", import.meta.url));
const PLURALS: Record<string, string[]> = { en: ["one", "other"], ru: ["one", "few", "many", "other"] };
const CATALOGUES: Record<string, Record<string, string>> = { en, ru };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

/** Every key the code names in a t("...") call (keys are always literal strings). */
function usedKeys(): Set<string> {
  const keys = new Set<string>();
  for (const file of sources(SRC)) {
    for (const match of readFileSync(file, "utf-8").matchAll(/\bt\(\s*["']([A-Za-z0-9_.]+)["']/g)) keys.add(match[1]);
  }
  return keys;
}

const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, "");
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe("the interface catalogues", () => {
  const used = usedKeys();

  it("find the keys the code uses", () => {
    expect(used.size).toBeGreaterThan(100);
  });

  for (const [language, catalogue] of Object.entries(CATALOGUES)) {
    it(`${language}: has every key the code uses`, () => {
      const missing = [...used].filter((key) => !(key in catalogue) && !PLURALS[language].every((form) => `${key}_${form}` in catalogue));
      expect(missing).toEqual([]);
    });

    it(`${language}: has no key the code does not use`, () => {
      expect(Object.keys(catalogue).filter((key) => !used.has(base(key)))).toEqual([]);
    });

    it(`${language}: has every plural form of its plural keys, and no empty text`, () => {
      const plural = new Set(Object.keys(catalogue).filter((key) => key !== base(key)).map(base));
      const incomplete = [...plural].filter((key) => !PLURALS[language].every((form) => `${key}_${form}` in catalogue));
      expect(incomplete).toEqual([]);
      expect(Object.entries(catalogue).filter(([, text]) => !text.trim()).map(([key]) => key)).toEqual([]);
    });
  }

  it("say the same placeholders in English and Russian", () => {
    const differ: string[] = [];
    for (const key of used) {
      const forms = (catalogue: Record<string, string>) =>
        Object.entries(catalogue).filter(([k]) => base(k) === key).map(([, text]) => placeholders(text).join(","));
      const english = new Set(forms(en));
      const russian = new Set(forms(ru));
      if ([...russian].some((p) => !english.has(p)) || [...english].some((p) => !russian.has(p))) differ.push(key);
    }
    expect(differ).toEqual([]);
  });
});
