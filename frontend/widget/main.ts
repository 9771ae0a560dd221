// The web-chat widget: `<script src="https://callwright.example/widget.js" data-route="web">`
// on any page adds a chat panel talking to the Callwright server the script came from, on the
// flow that route runs (the "chat" table of routes.json). Plain TypeScript and the DOM, no
// framework: the page loads a few kilobytes, not a renderer it does not need.

import { labelsFor } from "./labels";
import { ChatPanel } from "./panel";

function start(): void {
  const script = (document.currentScript as HTMLScriptElement | null)
    ?? document.querySelector<HTMLScriptElement>("script[src*='widget.js'][data-route]");
  if (!script) return;
  const base = new URL(script.src, location.href).origin;
  const route = script.dataset.route || "web";
  const host = document.createElement("callwright-chat");
  const mount = () => {
    document.body.append(host);
    new ChatPanel(host, base, route, labelsFor(document.documentElement.lang));
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
}

start();
