// Find a block by id, label or title and bring it into view.
import { useMemo, useState } from "react";
import type { KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { blockText } from "../lib/block-i18n";
import { useEditor } from "../store/context";
import { Icon } from "./Icon";

const SHOWN = 8;

export function SearchBox() {
  const { t, i18n } = useTranslation();
  const nodes = useEditor((s) => s.nodes);
  const catalog = useEditor((s) => s.catalog);
  const focusBlock = useEditor((s) => s.focusBlock);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const matches = useMemo(() => {
    const needle = query.trim().toLowerCase();
    if (!needle) return [];
    const found: { id: string; text: string }[] = [];
    for (const node of nodes) {
      const block = node.data.block;
      const manifest = catalog.find(block.type);
      const title = manifest ? blockText(manifest, i18n.language).title : block.type;
      const text = `${node.id} ${block.label ?? ""} ${title}`;
      if (text.toLowerCase().includes(needle)) found.push({ id: node.id, text: block.label ? `${block.label} · ${title}` : title });
      if (found.length >= SHOWN) break;
    }
    return found;
  }, [nodes, catalog, query, i18n.language]);

  const choose = (id: string) => {
    focusBlock(id);
    setQuery("");
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown") { event.preventDefault(); setActive((n) => Math.min(n + 1, matches.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); setActive((n) => Math.max(n - 1, 0)); }
    else if (event.key === "Enter" && matches[active]) { event.preventDefault(); choose(matches[active].id); }
    else if (event.key === "Escape") setQuery("");
  };

  return (
    <div className="search-box" role="combobox" aria-expanded={matches.length > 0} aria-haspopup="listbox" aria-owns="search-results">
      <Icon name="search" />
      <input type="search" value={query} placeholder={t("search.placeholder")} aria-label={t("search.label")}
        aria-controls="search-results" aria-activedescendant={matches[active] ? `search-${matches[active].id}` : undefined}
        onChange={(e) => { setQuery(e.target.value); setActive(0); }} onKeyDown={onKey} />
      {matches.length > 0 && (
        <ul id="search-results" role="listbox" className="search-results">
          {matches.map((match, index) => (
            <li key={match.id} id={`search-${match.id}`} role="option" aria-selected={index === active}
              className={index === active ? "active" : ""} onMouseDown={(e) => { e.preventDefault(); choose(match.id); }}>
              <code>{match.id}</code> <span className="muted">{match.text}</span>
            </li>
          ))}
        </ul>
      )}
      {query && matches.length === 0 && <span className="muted search-none">{t("search.none")}</span>}
    </div>
  );
}
