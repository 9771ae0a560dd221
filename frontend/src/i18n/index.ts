// Every interface string goes through i18next; the catalogues are flat JSON files, one per
// language, kept complete by tests/i18n.test.ts (no key missing from either, none unused).
import { useSyncExternalStore } from "react";
import i18next from "i18next";
import type { TFunction } from "i18next";
import { initReactI18next } from "react-i18next";
import en from "./en.json";
import ru from "./ru.json";

export const LANGUAGES = ["en", "ru"] as const;
export type Language = (typeof LANGUAGES)[number];
const STORED = "callwright.language";

/** Return the supported language closest to `wanted` (`ru-RU` -> `ru`), else English. */
export function supported(wanted: string | null | undefined): Language {
  const short = (wanted ?? "").slice(0, 2).toLowerCase();
  return (LANGUAGES as readonly string[]).includes(short) ? (short as Language) : "en";
}

function initial(): Language {
  try {
    const stored = localStorage.getItem(STORED);
    if (stored) return supported(stored);
  } catch {
    // no storage: the browser's language
  }
  return supported(typeof navigator === "undefined" ? "en" : navigator.language);
}

i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, ru: { translation: ru } },
  lng: initial(),
  fallbackLng: "en",
  keySeparator: false,
  nsSeparator: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** Switch the interface to `language` and remember it in this browser. */
export function switchLanguage(language: string): Promise<unknown> {
  const lang = supported(language);
  try {
    localStorage.setItem(STORED, lang);
  } catch {
    // private mode: the choice lasts this page only
  }
  document.documentElement.lang = lang;
  return i18next.changeLanguage(lang);
}

function onLanguageChange(changed: () => void): () => void {
  i18next.on("languageChanged", changed);
  return () => i18next.off("languageChanged", changed);
}

function currentLanguage(): Language {
  return supported(i18next.language);
}

const translators = new Map<Language, TFunction>();

/**
 * The interface's language and its translate function, for what is drawn by the thousand (the
 * canvas's blocks): one listener each, where useTranslation() builds a wrapper of i18next for
 * every component at every render (a fifth of the time a 1,000-block flow took to draw).
 */
export function useLanguage(): { language: Language; t: TFunction } {
  const language = useSyncExternalStore(onLanguageChange, currentLanguage);
  let t = translators.get(language);
  if (!t) {
    t = i18next.getFixedT(language);
    translators.set(language, t);
  }
  return { language, t };
}

export default i18next;
