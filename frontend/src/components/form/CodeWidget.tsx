// The code editor of script and `expr` fields (CodeMirror 6, Python), showing the server's
// problems of this field on their lines.
import { useContext, useMemo } from "react";
import CodeMirror from "@uiw/react-codemirror";
import { python } from "@codemirror/lang-python";
import { linter, lintGutter } from "@codemirror/lint";
import type { Diagnostic } from "@codemirror/lint";
import type { WidgetProps } from "@rjsf/utils";
import { FieldProblemsContext } from "./field-problems";

export default function CodeWidget({ id, value, onChange, disabled, readonly, label }: WidgetProps) {
  const problems = useContext(FieldProblemsContext)[id] ?? [];
  const key = problems.map((p) => `${p.line}:${p.message}`).join("\n");
  const extensions = useMemo(() => [
    python(),
    lintGutter(),
    linter((view) => problems.map((problem): Diagnostic => {
      const lines = view.state.doc.lines;
      const line = view.state.doc.line(Math.min(Math.max(problem.line ?? 1, 1), lines));
      return { from: line.from, to: Math.max(line.to, line.from), severity: problem.severity, message: problem.message };
    }), { delay: 0 }),
  ], [key]);
  return (
    <div className="code-field" data-field={id}>
      <CodeMirror id={id} value={typeof value === "string" ? value : ""} height="auto" minHeight="80px" maxHeight="420px"
        theme="light" extensions={extensions} editable={!disabled && !readonly} aria-label={label}
        basicSetup={{ foldGutter: false, highlightActiveLine: true }}
        onChange={(text) => onChange(text === "" ? undefined : text)} />
    </div>
  );
}
