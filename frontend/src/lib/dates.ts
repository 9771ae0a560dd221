// Times shown in the interface's language.
import i18next from "i18next";

/** Return an ISO time as a short local date and time, or "" when there is none. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(i18next.language, { dateStyle: "medium", timeStyle: "short" });
}
