// The ONE node component: any block type, drawn from its manifest and config. Its source handles
// are the block's exits, recomputed as options, rules or branches are added to its config; its
// title and exit labels are in the interface's language where the manifest translates them.
import { memo, useEffect, useMemo, useRef } from "react";
import { Handle, Position, useUpdateNodeInternals } from "@xyflow/react";
import type { NodeProps } from "@xyflow/react";
import { useShallow } from "zustand/react/shallow";
import { useLanguage } from "../../i18n";
import { blockText, exitLabel, translationOf } from "../../lib/block-i18n";
import { ERROR_EXIT, exitsOf } from "../../lib/exits";
import { GHOST_TYPE } from "../../lib/flow-format";
import type { BlockNode } from "../../lib/flow-format";
import { summarize } from "../../lib/summary";
import { useEditor } from "../../store/context";
import { Icon } from "../Icon";

function BlockNodeView({ id, data, selected, type }: NodeProps<BlockNode>) {
  const { t, language } = useLanguage();
  const block = data.block;
  // one subscription, not four: every change of the editor's store runs the selectors of every block
  const { catalog, mark, counts, isStart } = useEditor(useShallow((s) => ({
    catalog: s.catalog, mark: s.marks.blocks[id], counts: s.problemCounts[id], isStart: s.base.start === id,
  })));
  const manifest = catalog.find(block.type);
  const title = manifest ? blockText(manifest, language).title : block.type;
  const exits = useMemo(() => exitsOf(manifest, block, catalog.bots), [manifest, block, catalog]);
  const fields = translationOf(manifest, language)?.fields;
  const summary = useMemo(() => summarize(block.config, fields && ((path, key) => fields[path]?.title ?? key)),
    [block.config, fields]);
  const exitKey = exits.join("\u0000");
  const updateInternals = useUpdateNodeInternals();
  const drawnExits = useRef(exitKey);
  useEffect(() => {
    // handles added or removed after the first draw: React Flow must measure them again (not on
    // mount: it measures new nodes itself, and 1,000 calls at once would each re-render the flow)
    if (drawnExits.current === exitKey) return;
    drawnExits.current = exitKey;
    updateInternals(id);
  }, [exitKey, id, updateInternals]);
  const ghost = type === GHOST_TYPE;

  const classes = ["block-node", mark ? `mark-${mark}` : "", selected ? "selected" : "", ghost ? "ghost" : "",
    counts?.errors ? "has-errors" : counts?.warnings ? "has-warnings" : "", manifest ? "" : "unknown-type"].join(" ");
  return (
    <div className={classes} aria-label={t("node.label", { id, title })}>
      <Handle type="target" position={Position.Left} className="in-handle" isConnectable={!ghost} />
      <div className="block-head">
        <Icon name={manifest?.icon} className="block-icon" />
        <span className="block-title">{block.label || title}</span>
        {isStart && <span className="start-flag" title={t("node.start")}><Icon name="flag" size={12} /> {t("node.start")}</span>}
        {counts && (counts.errors > 0 || counts.warnings > 0) && (
          <span className={`problem-badge ${counts.errors ? "error" : "warning"}`}
            title={t("node.problems", { errors: counts.errors, warnings: counts.warnings })}>
            {counts.errors || counts.warnings}
          </span>
        )}
      </div>
      <div className="block-id"><code>{id}</code>{block.label ? <span className="muted"> · {title}</span> : null}</div>
      {summary && <div className="block-summary">{summary}</div>}
      {!manifest && <div className="block-summary error-text">{t("node.unknownType", { type: block.type })}</div>}
      {exits.length > 0 && (
        <ul className="block-exits">
          {exits.map((exit) => {
            // the label in the interface's language; the name the flow uses shows on hover
            const label = exit === ERROR_EXIT ? t("node.errorExit") : exitLabel(manifest, exit, language);
            return (
              <li key={exit} className={exit === ERROR_EXIT ? "exit exit-error" : "exit"}>
                <span title={label === exit ? undefined : exit}>{label}</span>
                <Handle type="source" position={Position.Right} id={exit} className="out-handle" isConnectable={!ghost} />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** Drawn again only when what it shows changes: React Flow hands every node its measured size and
 * position too, and measuring a big flow's blocks once would otherwise draw every block twice. */
function sameBlock(before: NodeProps<BlockNode>, after: NodeProps<BlockNode>): boolean {
  return before.id === after.id && before.data === after.data && before.selected === after.selected
    && before.type === after.type;
}

export const BlockNodeComponent = memo(BlockNodeView, sameBlock);
