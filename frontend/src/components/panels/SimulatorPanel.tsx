// Run the draft as a customer (chat, SMS: choices as buttons) or as a caller (voice: a keypad,
// prompts shown as the text that would be spoken); the walked path lights up on the canvas.
import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../lib/api";
import { pathMarks } from "../../lib/marks";
import type { JsonObject, SimEvent, Simulation } from "../../lib/types";
import { parseVars } from "../../lib/vars";
import { useEditor } from "../../store/context";
import { Icon } from "../Icon";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

export function SimulatorPanel({ ensureSaved }: { ensureSaved: () => Promise<boolean> }) {
  const { t } = useTranslation();
  const flowId = useEditor((s) => s.flowId);
  const setMarks = useEditor((s) => s.setMarks);
  const clearMarks = useEditor((s) => s.clearMarks);
  const readOnly = useEditor((s) => s.readOnly);
  const [channel, setChannel] = useState("chat");
  const [trigger, setTrigger] = useState("");
  const [vars, setVars] = useState("");
  const [now, setNow] = useState("");
  const [sim, setSim] = useState<Simulation | null>(null);
  const [events, setEvents] = useState<SimEvent[]>([]);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const log = useRef<HTMLOListElement>(null);

  useEffect(() => { log.current?.lastElementChild?.scrollIntoView({ block: "nearest" }); }, [events]);
  useEffect(() => () => clearMarks(), [clearMarks]);

  const show = (next: Simulation, append: boolean) => {
    setSim(next);
    setEvents((before) => (append ? [...before, ...next.events] : next.events));
    setMarks(pathMarks(flowId, next.path, "simulation"));
  };

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    let parsedVars: JsonObject | undefined;
    try {
      parsedVars = parseVars(vars);
    } catch {
      setError(t("sim.varsInvalid"));
      return;
    }
    setBusy(true);
    try {
      if (!(await ensureSaved())) return;
      const body = {
        channel,
        ...(trigger ? { trigger } : {}),
        ...(parsedVars ? { vars: parsedVars } : {}),
        ...(now ? { now: new Date(now).toISOString() } : {}),
      };
      show(await api.simulate(flowId, body), false);
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  const send = async (answer: string) => {
    if (!sim || sim.ended) return;
    setBusy(true);
    setError(null);
    try {
      const next = await api.simInput(sim.simulation, answer);
      const echoed = next.events.some((e) => e.event === "input");
      if (!echoed) setEvents((before) => [...before, { event: "input", text: answer }]);
      show(next, true);
      setText("");
    } catch (e) {
      setError(t("error.generic", { message: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  const waiting = sim && !sim.ended ? [...events].reverse().find((e) => e.event === "ask") : undefined;
  const voice = channel === "voice";
  return (
    <section className="simulator" aria-labelledby="sim-title">
      <h2 id="sim-title">{t("sim.title")}</h2>
      <form className="sim-setup" onSubmit={start}>
        <label>{t("sim.channel")}
          <select value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="chat">{t("sim.chat")}</option>
            <option value="voice">{t("sim.voice")}</option>
            <option value="sms">{t("sim.sms")}</option>
          </select>
        </label>
        {!voice && <label>{t("sim.trigger")}<input value={trigger} onChange={(e) => setTrigger(e.target.value)} /></label>}
        <label>{t("sim.vars")}
          <textarea rows={2} className="mono" value={vars} placeholder='{"tier": "gold"}' onChange={(e) => setVars(e.target.value)} />
        </label>
        <label>{t("sim.clock")}
          <input type="datetime-local" value={now} onChange={(e) => setNow(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || readOnly}>{sim ? t("sim.restart") : t("sim.start")}</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      <ol className="transcript" ref={log} aria-live="polite" aria-label={t("sim.transcript")}>
        {events.map((event, index) => <EventLine key={index} event={event} voice={voice} />)}
      </ol>
      {sim && !sim.ended && waiting?.choices && !voice && (
        <div className="choices" role="group" aria-label={t("sim.choices")}>
          {waiting.choices.map((choice) => (
            <button key={choice.key} type="button" disabled={busy} onClick={() => send(choice.key)}>
              {choice.label ? `${choice.label}` : choice.key}
            </button>
          ))}
        </div>
      )}
      {sim && !sim.ended && voice && (
        <div className="keypad" role="group" aria-label={t("sim.keypad")}>
          {KEYS.map((key) => (
            <button key={key} type="button" disabled={busy} onClick={() => setText((before) => before + key)}
              aria-label={t("sim.key", { key })}>{key}</button>
          ))}
        </div>
      )}
      {sim && !sim.ended && (
        <form className="sim-input" onSubmit={(e) => { e.preventDefault(); send(text); }}>
          <input value={text} onChange={(e) => setText(e.target.value)} aria-label={voice ? t("sim.keysOrSpeech") : t("sim.message")}
            placeholder={voice ? t("sim.keysOrSpeech") : t("sim.message")} />
          <button type="submit" className="primary" disabled={busy}>{t("sim.send")}</button>
          <button type="button" disabled={busy} onClick={() => send("")}>{t("sim.noInput")}</button>
        </form>
      )}
      {sim?.ended && <p className="muted">{t("sim.ended")}</p>}
      {sim && (
        <details className="sim-vars">
          <summary>{t("sim.variables")}</summary>
          <pre>{JSON.stringify(sim.vars, null, 2)}</pre>
        </details>
      )}
    </section>
  );
}

function EventLine({ event, voice }: { event: SimEvent; voice: boolean }) {
  const { t } = useTranslation();
  switch (event.event) {
    case "say":
      return <li className="bubble bot">{voice && event.speak !== undefined ? <><Icon name="volume-2" className="speak" /> {event.speak}</> : event.text}</li>;
    case "ask":
      return (
        <li className="bubble bot">
          {voice && event.speak !== undefined ? <><Icon name="volume-2" className="speak" /> {event.speak}</> : event.prompt}
          {event.choices && !voice && <span className="muted"> ({event.choices.map((c) => c.label ?? c.key).join(" / ")})</span>}
        </li>
      );
    case "input":
      return <li className="bubble user">{event.text === "" ? <em>{t("sim.silence")}</em> : event.text}</li>;
    case "noinput":
      return <li className="system">{t("sim.noInputEvent")}</li>;
    case "record":
      return (
        <li className="system">
          {voice && event.speak ? <><Icon name="volume-2" className="speak" /> {event.speak} </> : null}
          {t("sim.recordEvent", { seconds: Number(event.max_s ?? 60) })}
        </li>
      );
    case "transfer":
      return <li className="system">{t("sim.transfer", { target: JSON.stringify(event.target) })}</li>;
    case "send":
      return <li className="system">{t("sim.sendEvent", { channel: String(event.channel ?? ""), to: String(event.to ?? "") })}</li>;
    case "error":
      return <li className="system error">{t("sim.errorEvent", { block: event.block ?? "", message: event.message ?? "" })}</li>;
    case "end":
      return <li className="system">{t("sim.endEvent", { disposition: event.disposition ?? "", steps: event.steps ?? 0 })}</li>;
    default:
      return <li className="system"><code>{JSON.stringify(event)}</code></li>;
  }
}
