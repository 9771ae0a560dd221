// The palette: every block type the server knows, by category, searchable, in the interface's
// language where the manifests translate themselves. Drag one onto the canvas, or press Enter on
// it to add it in the middle of the view (keyboard users).
import { useMemo, useState } from "react";
import type { DragEvent } from "react";
import { useReactFlow } from "@xyflow/react";
import { useTranslation } from "react-i18next";
import { useEditor } from "../store/context";
import { Icon } from "./Icon";
import { DRAG_TYPE } from "./canvas/Canvas";

export function Palette() {
  const { t, i18n } = useTranslation();
  const catalog = useEditor((s) => s.catalog);
  const readOnly = useEditor((s) => s.readOnly);
  const addBlock = useEditor((s) => s.addBlock);
  const focusBlock = useEditor((s) => s.focusBlock);
  const flow = useReactFlow();
  const [query, setQuery] = useState("");
  const groups = useMemo(() => catalog.byCategory(query, i18n.language), [catalog, query, i18n.language]);

  const addInView = (type: string) => {
    const pane = document.querySelector(".canvas")?.getBoundingClientRect();
    const centre = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: 400, y: 300 };
    const position = flow.screenToFlowPosition(centre);
    const id = addBlock(type, { x: position.x - 110 + jitter(), y: position.y - 40 + jitter() });
    if (id) focusBlock(id);
  };

  const onDragStart = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.effectAllowed = "copy";
  };

  return (
    <aside className="palette" aria-label={t("palette.title")}>
      <h2>{t("palette.title")}</h2>
      <input type="search" value={query} onChange={(e) => setQuery(e.target.value)}
        placeholder={t("palette.search")} aria-label={t("palette.search")} />
      {groups.length === 0 && <p className="muted">{t("palette.none")}</p>}
      {groups.map(({ category, heading, blocks }) => (
        <section key={category} className="palette-group">
          <h3>{heading}</h3>
          <ul>
            {blocks.map(({ manifest, title, description }) => (
              <li key={manifest.type}>
                <button type="button" className="palette-item" draggable={!readOnly} disabled={readOnly}
                  onDragStart={(e) => onDragStart(e, manifest.type)} onClick={() => addInView(manifest.type)}
                  title={description} data-type={manifest.type}
                  aria-label={t("palette.add", { title })}>
                  <Icon name={manifest.icon} />
                  <span>{title}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}

function jitter(): number {
  return Math.round((Math.random() - 0.5) * 40);
}
