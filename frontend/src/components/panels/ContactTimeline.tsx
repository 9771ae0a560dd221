// The contact a session was with, and their timeline on every channel, newest first.
// Every text is rendered as a React text node: a customer's message or mail is shown, never
// interpreted, so markup in it (an HTML mail, a script) stays characters on the screen.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../lib/api";
import { when } from "../../lib/dates";
import type { Contact, ContactEvent } from "../../lib/types";

export function ContactTimeline({ session }: { session: string }) {
  const { t } = useTranslation();
  const [contact, setContact] = useState<Contact | null | undefined>(undefined);
  const [entries, setEntries] = useState<ContactEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    (async () => {
      try {
        const found = (await api.contactOfSession(session)).contacts[0] ?? null;
        const timeline = found ? (await api.contactTimeline(found.contact)).entries : [];
        if (current) { setContact(found); setEntries(timeline); }
      } catch (e) {
        if (current) setError(t("error.generic", { message: (e as Error).message }));
      }
    })();
    return () => { current = false; };
  }, [session, t]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (contact === undefined) return <p className="muted">{t("contact.loading")}</p>;
  return <ContactTimelineView contact={contact} entries={entries} session={session} />;
}

export function ContactTimelineView({ contact, entries, session }: {
  contact: Contact | null; entries: ContactEvent[]; session?: string;
}) {
  const { t } = useTranslation();
  if (contact === null) return <p>{t("contact.none")}</p>;
  return (
    <section className="contact" aria-labelledby="contact-title">
      <h3 id="contact-title">{t("contact.title")}</h3>
      <ul className="identities" aria-label={t("contact.identities")}>
        {contact.identities.map((identity) => (
          <li key={`${identity.kind}:${identity.value}`}><span className="muted">{identity.kind}</span> {identity.value}</li>
        ))}
      </ul>
      <ol className="timeline" aria-label={t("contact.timeline")}>
        {entries.map((entry) => (
          <li key={entry.id} className={entry.session === session ? "current" : ""}>
            <span className="muted small">{when(entry.at)} · {entry.channel} · {label(entry, t)}{entry.flow ? ` · ${entry.flow}` : ""}</span>
            {entry.text !== null && <p className="timeline-text">{entry.text}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function label(entry: ContactEvent, t: (key: string) => string): string {
  if (entry.kind === "session") return t("contact.session");
  if (entry.kind === "disposition") return t("contact.disposition");
  return entry.direction === "out" ? t("contact.out") : t("contact.in");
}
