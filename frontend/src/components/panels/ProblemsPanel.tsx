// Every problem the server found, errors first; choosing one focuses its block and field.
import { useTranslation } from "react-i18next";
import { useShallow } from "zustand/react/shallow";
import { blockOf, configPath, sortProblems } from "../../lib/problems";
import { useEditor } from "../../store/context";
import { Icon } from "../Icon";

export function ProblemsPanel({ onOpenBlock }: { onOpenBlock: () => void }) {
  const { t } = useTranslation();
  const { problems, focusBlock } = useEditor(useShallow((s) => ({ problems: s.problems, focusBlock: s.focusBlock })));
  const sorted = sortProblems(problems);
  const errors = problems.filter((p) => p.severity === "error").length;
  return (
    <section className="problems-panel" aria-labelledby="problems-title">
      <h2 id="problems-title">{t("problems.title")}</h2>
      <p className="muted">{t("problems.summary", { errors, warnings: problems.length - errors })}</p>
      {sorted.length === 0 && <p>{t("problems.none")}</p>}
      <ul className="problem-list">
        {sorted.map((problem, index) => {
          const block = blockOf(problem);
          return (
            <li key={index}>
              <button type="button" className={`problem ${problem.severity}`} disabled={!block}
                onClick={() => { if (block) { focusBlock(block, configPath(problem) ?? undefined); onOpenBlock(); } }}>
                <Icon name={problem.severity === "error" ? "circle-alert" : "triangle-alert"} />
                <span className="problem-text">
                  <strong>{problem.severity === "error" ? t("problems.error") : t("problems.warning")}</strong>{" "}
                  {/* no "(line N)": the editor sends its flow as one line; a code problem names its code's line */}
                  {problem.message}
                  <code className="pointer">{problem.pointer}</code>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
