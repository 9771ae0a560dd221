// The code editor of script and `expr` fields (CodeMirror 6, Python), showing the server's
// problems of this field on their lines of the code. Tab indents; Esc then Tab leaves, as
// CodeMirror has it, and the hint under the editor says so.
import { useContext, useMemo } from "react";
import CodeMirror from "@uiw/react-codemirror";
import { python } from "@codemirror/lang-python";
import { linter, lintGutter } from "@codemirror/lint";
import type { Diagnostic } from "@codemirror/lint";
import { EditorView } from "@codemirror/view";
import { ariaDescribedByIds } from "@rjsf/utils";
import type { WidgetProps } from "@rjsf/utils";
import { useTranslation } from "react-i18next";
import { codeLine } from "../../lib/problems";
import { FieldProblemsContext } from "./field-problems";

export default function CodeWidget({ id, value, onChange, disabled, readonly, label, rawErrors }: WidgetProps) {
  const { t } = useTranslation();
  const problems = useContext(FieldProblemsContext)[id] ?? [];
  const key = problems.map((p) => p.message).join("\n");
  const keysId = `${id}__keys`;
  const invalid = !!rawErrors?.length;
  const extensions = useMemo(() => [
    python(),
    lintGutter(),
    // the editable element is what takes focus: it carries the field's name and descriptions
    EditorView.contentAttributes.of({
      "aria-label": label, "aria-describedby": `${ariaDescribedByIds(id)} ${keysId}`, "aria-invalid": String(invalid),
    }),
    linter((view) => problems.map((problem): Diagnostic => {
      // the server's message starts with the line of the code (`line 3: ...`)
      const place = codeLine(problem);
      const lines = view.state.doc.lines;
      const line = view.state.doc.line(Math.min(Math.max(place?.line ?? 1, 1), lines));
      return { from: line.from, to: Math.max(line.to, line.from), severity: problem.severity, message: place?.message ?? problem.message };
    }), { delay: 0 }),
  ], [key, label, id, invalid]);
  return (
    <>
      <div className={invalid ? "code-field invalid" : "code-field"} data-field={id}>
        <CodeMirror id={id} value={typeof value === "string" ? value : ""} height="auto" minHeight="80px" maxHeight="420px"
          theme="light" extensions={extensions} editable={!disabled && !readonly}
          basicSetup={{ foldGutter: false, highlightActiveLine: true }}
          onChange={(text) => onChange(text === "" ? undefined : text)} />
      </div>
      <p id={keysId} className="field-hint">{t("form.codeKeys")}</p>
    </>
  );
}
