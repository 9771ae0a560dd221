// Changes to a bot document as the bot editor makes them: each returns a new document, the
// intents kept in their order (a renamed intent stays where it was).
import type { BotDocument, Intent } from "./types";

/** Return the lines of a text area as a list: trimmed, blank lines left out. */
export function linesOf(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter(Boolean);
}

/** Return an intent name not used yet: `base`, else `base_2`, `base_3`... */
export function freeName(taken: Iterable<string>, base: string): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  let n = 2;
  while (names.has(`${base}_${n}`)) n += 1;
  return `${base}_${n}`;
}

/** Add an intent with no examples yet, at the end. */
export function addIntent(doc: BotDocument, name: string): BotDocument {
  const examples = Object.fromEntries(doc.languages.map((language) => [language, [] as string[]]));
  return { ...doc, intents: { ...doc.intents, [name]: { examples } } };
}

/** Remove an intent. */
export function removeIntent(doc: BotDocument, name: string): BotDocument {
  const intents = { ...doc.intents };
  delete intents[name];
  return { ...doc, intents };
}

/** Give an intent another name, in its place; a name already taken changes nothing. */
export function renameIntent(doc: BotDocument, from: string, to: string): BotDocument {
  if (from === to || !to || to in doc.intents) return doc;
  const intents = Object.fromEntries(Object.entries(doc.intents).map(([name, intent]) => [name === from ? to : name, intent]));
  return { ...doc, intents };
}

/** Change one intent's fields (a field set to undefined is removed). */
export function updateIntent(doc: BotDocument, name: string, change: Partial<Intent>): BotDocument {
  const intent: Intent = { ...doc.intents[name], ...change };
  for (const [key, value] of Object.entries(change)) if (value === undefined) delete intent[key as keyof Intent];
  return { ...doc, intents: { ...doc.intents, [name]: intent } };
}

/** Set the examples (or keywords) of an intent in one language; no keyword list stays empty. */
export function setPhrases(doc: BotDocument, name: string, part: "examples" | "keywords", language: string, phrases: string[]): BotDocument {
  const current = { ...(doc.intents[name][part] ?? {}) };
  if (phrases.length || part === "examples") current[language] = phrases;
  else delete current[language];
  return updateIntent(doc, name, { [part]: part === "keywords" && !Object.keys(current).length ? undefined : current });
}

/**
 * Return the exits a `bot` block gets from a bot's intents: those without a response, in order
 * (an auto-response intent says its response and takes the block's `answered`).
 */
export function intentExits(intents: { name: string; response?: string }[]): string[] {
  return intents.filter((intent) => !intent.response).map((intent) => intent.name);
}
