// Times shown in the interface's language.
import i18next from "i18next";

/** Return a time (ISO text, or unix seconds as the execution log and audit give) as a short
 * local date and time, or "" when there is none. */
export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(i18next.language, { dateStyle: "medium", timeStyle: "short" });
}
