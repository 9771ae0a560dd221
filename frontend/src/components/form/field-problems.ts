// The server's problems of the open block, by rjsf field id, for widgets that place them on a line.
import { createContext } from "react";
import type { Problem } from "../../lib/types";

export const FieldProblemsContext = createContext<Record<string, Problem[]>>({});
