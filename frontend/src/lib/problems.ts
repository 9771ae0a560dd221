// Server problems (POST /flows/{id}/validate) placed where they belong: on a block, on a field
// of its form (rjsf `extraErrors` from the JSON pointer) and on a line of a code field.
import type { Problem } from "./types";

/** Split a JSON pointer into its unescaped parts (`/a~1b/0` -> ["a/b", "0"]). */
export function parsePointer(pointer: string): string[] {
  if (!pointer || pointer === "/") return [];
  return pointer.replace(/^\//, "").split("/").map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Say which block a problem is about: its `block`, else the pointer's `/blocks/<id>`. */
export function blockOf(problem: Problem): string | null {
  if (problem.block) return problem.block;
  const parts = parsePointer(problem.pointer);
  if (parts[0] === "blocks" && parts[1]) return parts[1];
  if (parts[0] === "layout" && parts[1]) return parts[1];
  return null;
}

/** Return the path inside the block's config a problem points at, or null when it is not in config. */
export function configPath(problem: Problem): string[] | null {
  const parts = parsePointer(problem.pointer);
  if (parts[0] !== "blocks" || parts[2] !== "config") return null;
  return parts.slice(3);
}

export interface BlockProblems {
  errors: number;
  warnings: number;
}

/** Count each block's errors and warnings. */
export function countByBlock(problems: Problem[]): Record<string, BlockProblems> {
  const counts: Record<string, BlockProblems> = {};
  for (const problem of problems) {
    const id = blockOf(problem);
    if (!id) continue;
    const entry = (counts[id] ??= { errors: 0, warnings: 0 });
    if (problem.severity === "error") entry.errors++;
    else entry.warnings++;
  }
  return counts;
}

export interface ErrorTree {
  __errors?: string[];
  [key: string]: ErrorTree | string[] | undefined;
}

/** Build rjsf's `extraErrors` for one block's form from the problems in its config. */
export function extraErrorsFor(blockId: string, problems: Problem[],
                               format: (problem: Problem) => string = (problem) => problem.message): ErrorTree {
  const tree: ErrorTree = {};
  for (const problem of problems) {
    if (blockOf(problem) !== blockId) continue;
    const path = configPath(problem);
    if (path === null) continue;
    let node = tree;
    for (const key of path) node = (node[key] ??= {}) as ErrorTree;
    (node.__errors ??= []).push(format(problem));
  }
  return tree;
}

/** Return the rjsf field id of a config path (`["options", "0", "exit"]` -> `root_options_0_exit`). */
export function fieldId(path: string[]): string {
  return ["root", ...path].join("_");
}

/** Return the problems of a block that are not about a config field (exits, type, start...). */
export function blockLevel(blockId: string, problems: Problem[]): Problem[] {
  return problems.filter((problem) => blockOf(problem) === blockId && configPath(problem) === null);
}

/** Sort problems: errors first, then by pointer. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) =>
    a.severity === b.severity ? a.pointer.localeCompare(b.pointer) : a.severity === "error" ? -1 : 1);
}

/** Return the line of the code a code field's problem is on (`line 3: invalid syntax`), and its message without it. */
export function codeLine(problem: Problem): { line: number; message: string } | null {
  const match = /^line (\d+): ([\s\S]*)$/.exec(problem.message);
  return match ? { line: Number(match[1]), message: match[2] } : null;
}
