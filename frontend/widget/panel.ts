// The chat panel: a launcher button, a log of messages read out by screen readers as they come,
// quick replies as buttons, and a message field. Everything works from the keyboard: Tab moves
// through it, Enter sends, Escape closes the panel and gives the focus back to the launcher.

import { Conversation, type Message } from "./conversation";
import type { Labels } from "./labels";
import { STYLES } from "./styles";

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text; // never HTML: messages are shown as text
  return node;
}

export class ChatPanel {
  private readonly launcher: HTMLButtonElement;
  private readonly panel: HTMLElement;
  private readonly log: HTMLElement;
  private readonly replies: HTMLElement;
  private readonly status: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly conversation: Conversation;
  private readonly badge: HTMLElement;
  private unread = 0;
  private lastId = 0;

  constructor(host: HTMLElement, base: string, route: string, private readonly labels: Labels) {
    const root = host.attachShadow({ mode: "open" });
    const style = element("style");
    style.textContent = STYLES;
    this.launcher = element("button", { type: "button", class: "launcher", "aria-expanded": "false",
                                        "aria-controls": "callwright-chat-panel" }, labels.open);
    // messages that came while the panel was closed: counted on the launcher, and in its name
    this.badge = element("span", { class: "badge", "aria-hidden": "true" });
    this.badge.hidden = true;
    this.launcher.append(this.badge);
    this.panel = element("section", { id: "callwright-chat-panel", class: "panel", role: "region",
                                      "aria-label": labels.title });
    this.panel.hidden = true;
    const header = element("header");
    const close = element("button", { type: "button", class: "close", "aria-label": labels.close },
                          "×");
    header.append(element("h2", {}, labels.title), close);
    this.log = element("ol", { class: "log", role: "log", "aria-live": "polite",
                               "aria-label": labels.log, tabindex: "0" });
    this.replies = element("div", { class: "replies", role: "group", "aria-label": labels.quickReplies });
    this.replies.hidden = true;
    this.status = element("p", { class: "status", role: "status" });
    const form = element("form");
    const field = "callwright-chat-input";
    this.input = element("input", { id: field, type: "text", autocomplete: "off", maxlength: "4000",
                                    "aria-label": labels.message, placeholder: labels.message });
    form.append(this.input, element("button", { type: "submit", class: "send" }, labels.send));
    this.panel.append(header, this.log, this.replies, this.status, form);
    root.append(style, this.launcher, this.panel);

    this.conversation = new Conversation(base, route, (m) => this.show(m),
                                         (connected) => this.connected(connected));
    this.launcher.addEventListener("click", () => this.setOpen(true));
    close.addEventListener("click", () => this.setOpen(false));
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.setOpen(false);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit(this.input.value);
    });
    if (this.conversation.saved.open) this.setOpen(true, false);
    this.conversation.listen(); // a reload replays the conversation kept on the server
  }

  setOpen(open: boolean, focus = true): void {
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    this.launcher.setAttribute("aria-expanded", String(open));
    this.conversation.save(open ? { open, seen: this.lastId } : { open });
    if (open) this.setUnread(0);
    if (!focus) return;
    if (open) this.input.focus();
    else this.launcher.focus();
  }

  async submit(text: string): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.input.value = "";
    this.status.textContent = "";
    try {
      await this.conversation.send(trimmed);
    } catch {
      this.input.value = trimmed; // nothing was lost: the visitor can send it again
      this.status.textContent = this.labels.sendFailed;
    }
  }

  private connected(connected: boolean): void {
    const reconnecting = this.status.textContent === this.labels.reconnecting;
    if (!connected && !this.status.textContent) this.status.textContent = this.labels.reconnecting;
    else if (connected && reconnecting) this.status.textContent = "";
  }

  private setUnread(count: number): void {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = String(count);
    if (count) this.launcher.setAttribute("aria-label", `${this.labels.open} (${this.labels.unread(count)})`);
    else this.launcher.removeAttribute("aria-label");
  }

  private show(message: Message): void {
    this.lastId = message.id;
    if (!this.panel.hidden) this.conversation.save({ seen: message.id });
    else if (message.side === "bot" && message.id > (this.conversation.saved.seen ?? 0)) {
      this.setUnread(this.unread + 1);
    }
    const item = element("li", { "data-id": String(message.id) });
    if (message.notice) {
      item.className = "notice";
      item.textContent = message.notice === "transfer" ? this.labels.transfer : this.labels.ended;
    } else {
      item.className = `message ${message.side}`;
      const who = message.side === "visitor" ? this.labels.you : this.labels.bot;
      item.append(element("span", { class: "who" }, `${who}: `), message.text ?? "");
    }
    this.log.append(item);
    this.log.scrollTop = this.log.scrollHeight;
    if (message.side === "bot") this.showReplies(message.quick_replies ?? []);
  }

  private showReplies(labels: string[]): void {
    const hadFocus = this.replies.contains((this.replies.getRootNode() as ShadowRoot).activeElement);
    this.replies.replaceChildren(...labels.map((label) => {
      const button = element("button", { type: "button", class: "reply" }, label);
      button.addEventListener("click", () => void this.submit(label));
      return button;
    }));
    this.replies.hidden = labels.length === 0;
    // a keyboard user who chose a quick reply lands on the next ones, or back in the field
    if (hadFocus) (this.replies.querySelector("button") ?? this.input).focus();
  }
}
