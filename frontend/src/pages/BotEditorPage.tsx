// One bot: its languages, its intents (examples and keywords per language, the auto-response
// it says), its entities, and a "try a phrase" box that classifies with the saved draft, or in
// its place the bot's versions.
import { useEffect, useMemo, useState } from "react";
import type { FormEvent } from "react";
import { useParams } from "react-router-dom";
import { useStore } from "zustand";
import { useTranslation } from "react-i18next";
import { documents } from "../lib/api";
import { addIntent, freeName, linesOf, removeIntent, renameIntent, setPhrases, updateIntent } from "../lib/bot-doc";
import type { BotDocument, Classification, ResponsesDocument } from "../lib/types";
import type { DocumentStore } from "../store/document-store";
import { canEdit, useSession } from "../store/session";
import { Header } from "../components/Header";
import { DocumentToolbar } from "../components/DocumentToolbar";
import { DocumentVersions } from "../components/DocumentVersions";
import { EntitiesForm } from "../components/EntitiesForm";
import { ItemList, useCurrentItem } from "../components/ItemList";
import { PageStatus } from "../components/PageStatus";
import { useDocument } from "./useDocument";

export function BotEditorPage() {
  const { id = "" } = useParams();
  const { store, error } = useDocument<BotDocument>("bots", id);
  if (!store) return <PageStatus error={error} />;
  return <BotEditor store={store} />;
}

function BotEditor({ store }: { store: DocumentStore<BotDocument> }) {
  const { t } = useTranslation();
  const readOnly = !canEdit(useSession((s) => s.info));
  const doc = useStore(store, (s) => s.doc);
  const change = useStore(store, (s) => s.change);
  const loaded = useStore(store, (s) => s.loaded);
  const names = Object.keys(doc.intents);
  const [current, setSelected] = useCurrentItem(names);
  const responses = useResponseNames();
  const [showingVersions, setShowingVersions] = useState(false);

  const add = () => {
    const name = freeName(names, "new_intent");
    change((d) => addIntent(d, name));
    setSelected(name);
  };

  return (
    <div className="page">
      <Header />
      <DocumentToolbar store={store} readOnly={readOnly} title={doc.name || t("bots.bot")}
        showingVersions={showingVersions} onVersions={() => setShowingVersions((open) => !open)} />
      <main className="document-editor">
        <section className="document-side" aria-label={t("bots.intents")}>
          <label>{t("bots.languages")}
            <input value={doc.languages.join(", ")} readOnly={readOnly}
              onChange={(e) => change((d) => ({ ...d, languages: e.target.value.split(",").map((l) => l.trim()).filter(Boolean) }))} />
          </label>
          <h2>{t("bots.intents")}</h2>
          <ItemList names={names} current={current} onSelect={setSelected}
            badge={(name) => doc.intents[name].response && <span className="badge">{t("bots.answered")}</span>} />
          {!readOnly && <button type="button" onClick={add}>{t("bots.addIntent")}</button>}
        </section>
        <section className="document-main">
          {current ? <IntentForm key={`${current}@${loaded}`} doc={doc} name={current} readOnly={readOnly} responses={responses}
            onRename={(to) => { change((d) => renameIntent(d, current, to)); setSelected(to); }}
            onRemove={() => { change((d) => removeIntent(d, current)); setSelected(null); }}
            change={change} /> : <p className="empty">{t("bots.noIntents")}</p>}
          <EntitiesForm key={loaded} doc={doc} readOnly={readOnly} change={change} />
        </section>
        {showingVersions ? <DocumentVersions store={store} readOnly={readOnly} /> : <TryPhrase store={store} />}
      </main>
    </div>
  );
}

function IntentForm({ doc, name, readOnly, responses, onRename, onRemove, change }: {
  doc: BotDocument; name: string; readOnly: boolean; responses: string[];
  onRename: (to: string) => void; onRemove: () => void;
  change: (edit: (d: BotDocument) => BotDocument) => void;
}) {
  const { t } = useTranslation();
  const intent = doc.intents[name];
  const [newName, setNewName] = useState(name);
  return (
    <form className="intent-form" onSubmit={(e) => e.preventDefault()} aria-label={t("bots.intent", { name })}>
      <div className="row">
        <label>{t("bots.intentName")}
          <input value={newName} readOnly={readOnly} pattern="[A-Za-z_][A-Za-z0-9_.\-]*"
            onChange={(e) => setNewName(e.target.value)} onBlur={() => newName !== name && onRename(newName)} />
        </label>
        {!readOnly && <button type="button" className="danger" onClick={onRemove}>{t("bots.removeIntent")}</button>}
      </div>
      {doc.languages.map((language) => (
        <fieldset key={language}>
          <legend>{t("bots.inLanguage", { language })}</legend>
          <label>{t("bots.examples")}
            <textarea rows={5} readOnly={readOnly} defaultValue={(intent.examples[language] ?? []).join("\n")}
              onChange={(e) => change((d) => setPhrases(d, name, "examples", language, linesOf(e.target.value)))} />
          </label>
          <label>{t("bots.keywords")}
            <textarea rows={2} readOnly={readOnly} defaultValue={(intent.keywords?.[language] ?? []).join("\n")}
              onChange={(e) => change((d) => setPhrases(d, name, "keywords", language, linesOf(e.target.value)))} />
          </label>
        </fieldset>
      ))}
      <label>{t("bots.response")}
        <input list="response-names" value={intent.response ?? ""} readOnly={readOnly} placeholder="set/name"
          onChange={(e) => change((d) => updateIntent(d, name, { response: e.target.value || undefined }))} />
        <small className="muted">{t("bots.responseHint")}</small>
      </label>
      <datalist id="response-names">{responses.map((r) => <option key={r} value={r} />)}</datalist>
    </form>
  );
}

/** Try a phrase on the bot's draft: saved first when changed, then classified by the server. */
function TryPhrase({ store }: { store: DocumentStore<BotDocument> }) {
  const { t } = useTranslation();
  const languages = useStore(store, (s) => s.doc.languages);
  const [text, setText] = useState("");
  const [language, setLanguage] = useState("");
  const [result, setResult] = useState<Classification | null>(null);
  const [error, setError] = useState<string | null>(null);
  const readOnly = !canEdit(useSession((s) => s.info));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      if (store.getState().dirty && !readOnly && !(await store.getState().save())) return;
      setResult(await documents.classify(store.getState().id, text, language || undefined));
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    }
  };

  return (
    <aside className="try-phrase" aria-label={t("bots.try")}>
      <h2>{t("bots.try")}</h2>
      <form onSubmit={submit} className="dialog-form">
        <label>{t("bots.phrase")}<input value={text} onChange={(e) => setText(e.target.value)} /></label>
        <label>{t("bots.language")}
          <select value={language} onChange={(e) => setLanguage(e.target.value)}>
            <option value="">{t("bots.detect")}</option>
            {languages.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
        <button type="submit" className="primary">{t("bots.classify")}</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {result && (
        <dl className="classification" data-testid="classification">
          <dt>{t("bots.intentLabel")}</dt>
          <dd data-testid="intent">{result.intent ?? "—"}{!result.understood && <span className="badge draft">{t("bots.notUnderstood")}</span>}</dd>
          <dt>{t("bots.confidence")}</dt>
          <dd data-testid="confidence">{Math.round(result.confidence * 100)}%</dd>
          <dt>{t("bots.language")}</dt>
          <dd>{result.language ?? "—"}</dd>
          <dt>{t("bots.entitiesFound")}</dt>
          <dd><code>{JSON.stringify(result.entities)}</code></dd>
          {result.response && <><dt>{t("bots.response")}</dt><dd>{result.response}</dd></>}
        </dl>
      )}
    </aside>
  );
}

/** The live responses as `set/name`, offered for an intent's auto-response. */
function useResponseNames(): string[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    documents.list<{ sets: { id: string; live: unknown }[] }>("responses")
      .then(({ sets }) => Promise.all(sets.filter((s) => s.live).map((s) =>
        documents.live<ResponsesDocument>("responses", s.id).then((doc) => Object.keys(doc.responses).map((n) => `${s.id}/${n}`)))))
      .then((lists) => { if (live) setNames(lists.flat()); })
      .catch(() => undefined);
    return () => { live = false; };
  }, []);
  return useMemo(() => names, [names]);
}
