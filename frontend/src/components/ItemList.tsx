// The named items of a bot or responses set (intents, responses), one of them being edited.
import { useState } from "react";
import type { ReactNode } from "react";

/**
 * Return the item being edited and a way to choose another: the one chosen while it still
 * exists, else the first (so removing or renaming the chosen one never leaves a blank form).
 */
export function useCurrentItem(names: string[]): [string | null, (name: string | null) => void] {
  const [selected, setSelected] = useState<string | null>(names[0] ?? null);
  const current = selected && names.includes(selected) ? selected : names[0] ?? null;
  return [current, setSelected];
}

export function ItemList({ names, current, onSelect, badge }: {
  names: string[]; current: string | null; onSelect: (name: string) => void;
  badge?: (name: string) => ReactNode;
}) {
  return (
    <ul className="item-list">
      {names.map((name) => (
        <li key={name}>
          <button type="button" aria-current={name === current} className={name === current ? "current" : ""} onClick={() => onSelect(name)}>
            {name}{badge?.(name)}
          </button>
        </li>
      ))}
    </ul>
  );
}
