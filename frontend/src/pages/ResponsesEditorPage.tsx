// One responses set: its responses, each with variants by channel and language, and a preview
// of what every channel makes of the one being edited, rendered by the server (the SMS segments
// are counted there), or in its place the set's versions. E-mail HTML is shown in a sandboxed
// frame, never as this page's markup.
import { useEffect, useState } from "react";
import { useParams } from "react-router-dom";
import { useStore } from "zustand";
import { useTranslation } from "react-i18next";
import { documents } from "../lib/api";
import { freeName, linesOf } from "../lib/bot-doc";
import { addResponse, addVariant, CHANNELS, removeResponse, removeVariant, updateContent } from "../lib/responses-doc";
import type { JsonObject, ResponseContent, ResponsePreview, ResponsesDocument } from "../lib/types";
import type { DocumentStore } from "../store/document-store";
import { canEdit, useSession } from "../store/session";
import { Header } from "../components/Header";
import { DocumentToolbar } from "../components/DocumentToolbar";
import { DocumentVersions } from "../components/DocumentVersions";
import { ItemList, useCurrentItem } from "../components/ItemList";
import { PageStatus } from "../components/PageStatus";
import { useDocument } from "./useDocument";

const PREVIEW_AFTER_MS = 300;

export function ResponsesEditorPage() {
  const { id = "" } = useParams();
  const { store, error } = useDocument<ResponsesDocument>("responses", id);
  if (!store) return <PageStatus error={error} />;
  return <ResponsesEditor store={store} />;
}

function ResponsesEditor({ store }: { store: DocumentStore<ResponsesDocument> }) {
  const { t } = useTranslation();
  const readOnly = !canEdit(useSession((s) => s.info));
  const doc = useStore(store, (s) => s.doc);
  const change = useStore(store, (s) => s.change);
  const loaded = useStore(store, (s) => s.loaded);
  const names = Object.keys(doc.responses);
  const [current, setSelected] = useCurrentItem(names);
  const [showingVersions, setShowingVersions] = useState(false);

  return (
    <div className="page">
      <Header />
      <DocumentToolbar store={store} readOnly={readOnly} title={doc.name || t("responses.set")}
        showingVersions={showingVersions} onVersions={() => setShowingVersions((open) => !open)} />
      <main className="document-editor">
        <section className="document-side" aria-label={t("responses.list")}>
          <h2>{t("responses.list")}</h2>
          <ItemList names={names} current={current} onSelect={setSelected} />
          {!readOnly && <button type="button" onClick={() => {
            const name = freeName(names, "new_response");
            change((d) => addResponse(d, name, t("responses.newText")));
            setSelected(name);
          }}>{t("responses.add")}</button>}
        </section>
        <section className="document-main">
          {current ? <ResponseForm key={`${current}@${loaded}`} doc={doc} name={current} readOnly={readOnly} change={change}
            onRemove={() => { change((d) => removeResponse(d, current)); setSelected(null); }} />
            : <p className="empty">{t("responses.empty")}</p>}
        </section>
        {showingVersions ? <DocumentVersions store={store} readOnly={readOnly} />
          : current && <Preview setId={doc.id} response={doc.responses[current]} />}
      </main>
    </div>
  );
}

function ResponseForm({ doc, name, readOnly, change, onRemove }: {
  doc: ResponsesDocument; name: string; readOnly: boolean; onRemove: () => void;
  change: (edit: (d: ResponsesDocument) => ResponsesDocument) => void;
}) {
  const { t } = useTranslation();
  const response = doc.responses[name];
  return (
    <div className="response-form">
      <div className="row">
        <h2><code>{doc.id}/{name}</code></h2>
        {!readOnly && <button type="button" className="danger" onClick={onRemove}>{t("responses.remove")}</button>}
      </div>
      <ContentFields content={response} readOnly={readOnly} onChange={(c) => change((d) => updateContent(d, name, c))} legend={t("responses.default")} />
      {(response.variants ?? []).map((variant, index) => (
        <ContentFields key={index} content={variant} readOnly={readOnly} variant
          legend={t("responses.variant", { number: index + 1 })}
          onChange={(c) => change((d) => updateContent(d, name, c, index))}
          onRemove={() => change((d) => removeVariant(d, name, index))} />
      ))}
      {!readOnly && <button type="button" onClick={() => change((d) => addVariant(d, name, { channel: "sms", text: response.text ?? "" }))}>
        {t("responses.addVariant")}
      </button>}
    </div>
  );
}

function ContentFields({ content, readOnly, onChange, legend, variant = false, onRemove }: {
  content: ResponseContent; readOnly: boolean; legend: string; variant?: boolean;
  onChange: (change: Partial<ResponseContent>) => void; onRemove?: () => void;
}) {
  const { t } = useTranslation();
  return (
    <fieldset className="content-fields">
      <legend>{legend}</legend>
      {variant && (
        <div className="row">
          <label>{t("responses.channel")}
            <select value={content.channel ?? ""} disabled={readOnly} onChange={(e) => onChange({ channel: e.target.value || undefined })}>
              <option value="">{t("responses.anyChannel")}</option>
              {CHANNELS.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </label>
          <label>{t("responses.language")}
            <input value={content.language ?? ""} readOnly={readOnly} placeholder="ru" onChange={(e) => onChange({ language: e.target.value || undefined })} />
          </label>
          {onRemove && !readOnly && <button type="button" className="danger" onClick={onRemove}>{t("responses.removeVariant")}</button>}
        </div>
      )}
      <label>{t("responses.text")}
        <textarea rows={3} readOnly={readOnly} value={content.text ?? ""} onChange={(e) => onChange({ text: e.target.value })} />
      </label>
      <label>{t("responses.audio")}
        <input value={content.audio ?? ""} readOnly={readOnly} onChange={(e) => onChange({ audio: e.target.value })} />
      </label>
      <label>{t("responses.quickReplies")}
        <textarea rows={2} readOnly={readOnly} defaultValue={(content.quick_replies ?? []).join("\n")}
          onChange={(e) => onChange({ quick_replies: linesOf(e.target.value) })} />
      </label>
      <label>{t("responses.subject")}
        <input value={content.subject ?? ""} readOnly={readOnly} onChange={(e) => onChange({ subject: e.target.value })} />
      </label>
      <label>{t("responses.html")}
        <textarea rows={3} readOnly={readOnly} value={content.html ?? ""} onChange={(e) => onChange({ html: e.target.value })} />
      </label>
    </fieldset>
  );
}

/** Each channel's rendering of the response as it is being edited, in a language. */
function Preview({ setId, response }: { setId: string; response: ResponseContent }) {
  const { t } = useTranslation();
  const [language, setLanguage] = useState("en");
  const [preview, setPreview] = useState<ResponsePreview | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      documents.preview(setId, response as JsonObject, language)
        .then((answer) => { if (live) { setPreview(answer); setError(null); } })
        .catch((e) => { if (live) setError((e as Error).message); });
    }, PREVIEW_AFTER_MS);
    return () => { live = false; clearTimeout(timer); };
  }, [setId, response, language]);

  const channels = preview?.channels;
  return (
    <aside className="preview" aria-label={t("responses.preview")}>
      <h2>{t("responses.preview")}</h2>
      <label>{t("responses.language")}
        <input value={language} onChange={(e) => setLanguage(e.target.value)} />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      {channels && (
        <>
          <section data-testid="preview-voice">
            <h3>{t("responses.voice")}</h3>
            {channels.voice.speak !== undefined ? <p className="speak">{channels.voice.speak}</p>
              : <p className="muted">{t("responses.plays", { audio: channels.voice.play ?? "" })}</p>}
          </section>
          <section data-testid="preview-chat">
            <h3>{t("responses.chat")}</h3>
            <p className="bubble">{channels.chat.text}</p>
            <div className="quick-replies">{channels.chat.quick_replies.map((r) => <button type="button" key={r} tabIndex={-1}>{r}</button>)}</div>
          </section>
          <section data-testid="preview-sms">
            <h3>{t("responses.sms")}</h3>
            <p className="bubble sms">{channels.sms.text}</p>
            <p className="muted" data-testid="sms-segments">
              {t("responses.segments", { count: channels.sms.segments })} · {channels.sms.encoding === "gsm7" ? "GSM-7" : "UCS-2"} · {t("responses.units", { count: channels.sms.units })}
            </p>
          </section>
          <section data-testid="preview-email">
            <h3>{t("responses.email")}</h3>
            <p><strong>{t("responses.subject")}:</strong> {channels.email.subject ?? "—"}</p>
            <pre className="email-text">{channels.email.text ?? ""}</pre>
            {channels.email.html && (
              // sandboxed: no scripts, no same origin, no forms; the HTML never becomes this page's
              <iframe title={t("responses.htmlPreview")} sandbox="" srcDoc={channels.email.html} className="email-html" />
            )}
          </section>
        </>
      )}
    </aside>
  );
}
