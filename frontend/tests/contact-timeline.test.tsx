// @vitest-environment jsdom
// A session's contact and their timeline as the executions view shows them: every text is
// text. A mail's HTML or a script in a message is shown as the characters it is, never run
// and never turned into elements of the page.
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ContactTimelineView } from "../src/components/panels/ContactTimeline";
import "../src/i18n";
import type { Contact, ContactEvent } from "../src/lib/types";

afterEach(cleanup);

const HOSTILE = '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script><b>bold</b>';

const contact: Contact = {
  contact: "0".repeat(32),
  identities: [{ kind: "phone", value: "+4915112345678" }, { kind: "email", value: "<i>ada</i>@example.org" }],
  attributes: {},
  last_channel: "sms",
  last_seen: 1_800_000_100,
  sessions: 2,
};

const entry = (id: number, fields: Partial<ContactEvent>): ContactEvent => ({
  id, at: 1_800_000_000 + id, channel: "sms", kind: "message", direction: "in", session: "s2",
  flow: "support-bot", text: null, ...fields,
});

const entries: ContactEvent[] = [
  entry(4, { kind: "message", direction: "in", text: HOSTILE }),
  entry(3, { kind: "message", direction: "out", text: "Hello again!\nYour card is on its way." }),
  entry(2, { kind: "disposition", direction: null, channel: "voice", session: "s1", flow: "card-services", text: "card_blocked" }),
  entry(1, { kind: "session", direction: null, channel: "voice", session: "s1", flow: "card-services", text: "inbound" }),
];

describe("a contact's timeline", () => {
  it("shows markup in a message as text and makes no element of it", () => {
    const { container } = render(<ContactTimelineView contact={contact} entries={entries} session="s2" />);
    expect(container.querySelector("img, script, b, i")).toBeNull();
    const texts = [...container.querySelectorAll(".timeline-text")].map((node) => node.textContent);
    expect(texts[0]).toBe(HOSTILE);
    expect(container.textContent).toContain("<i>ada</i>@example.org");
    expect((window as unknown as { hacked?: number }).hacked).toBeUndefined();
  });

  it("lists every entry newest first with its channel, what it was and its flow", () => {
    const { getByRole } = render(<ContactTimelineView contact={contact} entries={entries} session="s2" />);
    const items = [...getByRole("list", { name: "Timeline, newest first" }).querySelectorAll("li")];
    expect(items.map((item) => item.querySelector(".small")!.textContent!.split(" · ").slice(1))).toEqual([
      ["sms", "from the contact", "support-bot"],
      ["sms", "to the contact", "support-bot"],
      ["voice", "ended as", "card-services"],
      ["voice", "session started", "card-services"],
    ]);
    // the entries of the session the executions view has open stand out
    expect(items.map((item) => item.className)).toEqual(["current", "current", "", ""]);
    expect(items[1].querySelector(".timeline-text")!.textContent).toBe("Hello again!\nYour card is on its way.");
  });

  it("says so when no contact is known for the session", () => {
    const { container } = render(<ContactTimelineView contact={null} entries={[]} />);
    expect(container.textContent).toBe("No contact is known for this session.");
  });
});
