// The widget's side of the web-chat API: messages in, an event stream out, the conversation id
// kept in localStorage so that a reload (or another tab of the site) carries on the same chat.

export interface Message {
  id: number;
  side: "visitor" | "bot";
  text?: string;
  quick_replies?: string[];
  notice?: "transfer" | "ended";
}

interface Saved {
  conversation?: string;
  open?: boolean;
  seen?: number; // the last message shown with the panel open
}

const RETRY_MS = 3000; // after a refused stream (503, a restart): EventSource gives up by itself

export class Conversation {
  readonly api: string;
  private readonly storageKey: string;
  private events: EventSource | null = null;
  private lastId = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    base: string,
    readonly route: string,
    private readonly onMessage: (message: Message) => void,
    private readonly onConnected: (connected: boolean) => void,
  ) {
    this.api = `${base}/api/v1/webchat/${encodeURIComponent(route)}`;
    this.storageKey = `callwright-chat:${base}:${route}`;
  }

  get saved(): Saved {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || "{}") as Saved;
    } catch {
      return {}; // storage refused (private mode) or garbled: start afresh
    }
  }

  save(change: Saved): void {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify({ ...this.saved, ...change }));
    } catch {
      // no storage: the chat still works, it just does not survive a reload
    }
  }

  /** Send the visitor's text; the answer's messages go to onMessage, in order. */
  async send(text: string): Promise<void> {
    const body: Record<string, string> = { text, id: messageId() };
    const conversation = this.saved.conversation;
    if (conversation) body.conversation = conversation;
    const answer = await fetch(`${this.api}/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!answer.ok) throw new Error(`web chat answered ${answer.status}`);
    const data = (await answer.json()) as { conversation: string; messages: Message[] };
    if (data.conversation !== conversation) this.save({ conversation: data.conversation });
    for (const message of data.messages) this.take(message);
    this.listen();
  }

  /** Open the event stream of the saved conversation (replaying what it kept), once. */
  listen(): void {
    const conversation = this.saved.conversation;
    if (!conversation || this.events) return;
    const url = `${this.api}/conversations/${encodeURIComponent(conversation)}/events?after=${this.lastId}`;
    const events = new EventSource(url);
    this.events = events;
    events.onopen = () => this.onConnected(true);
    events.onmessage = (event) => this.take(JSON.parse(event.data) as Message);
    events.onerror = () => {
      this.onConnected(false);
      if (events.readyState === EventSource.CLOSED) {
        // refused outright: open a new stream later, from the last message shown
        this.events = null;
        if (this.retry === null) {
          this.retry = setTimeout(() => {
            this.retry = null;
            this.listen();
          }, RETRY_MS);
        }
      }
    };
  }

  private take(message: Message): void {
    if (message.id <= this.lastId) return; // the stream and an answer both carry a reply
    this.lastId = message.id;
    this.onMessage(message);
  }
}

function messageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
