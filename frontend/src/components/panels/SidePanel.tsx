// The side panels as tabs: the selected block (or the flow), problems, simulator, versions,
// executions.
import { useTranslation } from "react-i18next";
import { useEditor } from "../../store/context";
import { BlockPanel } from "./BlockPanel";
import { FlowPanel } from "./FlowPanel";
import { ProblemsPanel } from "./ProblemsPanel";
import { SimulatorPanel } from "./SimulatorPanel";
import { FlowVersionsPanel } from "./VersionsPanel";
import { ExecutionsPanel } from "./ExecutionsPanel";

export type Tab = "block" | "problems" | "simulator" | "versions" | "executions";

export function SidePanel({ tab, setTab, ensureSaved, versionsKey, onRestored }: {
  tab: Tab;
  setTab: (tab: Tab) => void;
  ensureSaved: () => Promise<boolean>;
  versionsKey: number;
  onRestored: () => void;
}) {
  const { t } = useTranslation();
  const selected = useEditor((s) => s.selected);
  const tabs: [Tab, string][] = [
    ["block", selected ? t("tabs.block") : t("tabs.flow")],
    ["problems", t("tabs.problems")],
    ["simulator", t("tabs.simulator")],
    ["versions", t("tabs.versions")],
    ["executions", t("tabs.executions")],
  ];
  return (
    <aside className="side-panel" aria-label={t("tabs.label")}>
      <div role="tablist" className="tabs" aria-label={t("tabs.label")}>
        {tabs.map(([name, label]) => (
          <button key={name} type="button" role="tab" id={`tab-${name}`} aria-selected={tab === name}
            aria-controls={`panel-${name}`} className={tab === name ? "active" : ""} onClick={() => setTab(name)}>
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="panel-body">
        {tab === "block" && (selected ? <BlockPanel id={selected} /> : <FlowPanel />)}
        {tab === "problems" && <ProblemsPanel onOpenBlock={() => setTab("block")} />}
        {tab === "simulator" && <SimulatorPanel ensureSaved={ensureSaved} />}
        {tab === "versions" && <FlowVersionsPanel ensureSaved={ensureSaved} refreshKey={versionsKey} onRestored={onRestored} />}
        {tab === "executions" && <ExecutionsPanel />}
      </div>
    </aside>
  );
}
