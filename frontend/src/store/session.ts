// Who is signed in, for the whole app: one small store fed by GET /session.
import { create } from "zustand";
import { api, ApiError, setCsrfToken } from "../lib/api";
import type { SessionInfo } from "../lib/types";

interface SessionState {
  info: SessionInfo | null;
  checked: boolean;
  refresh(): Promise<SessionInfo | null>;
  signedIn(info: SessionInfo): void;
  signOut(): Promise<void>;
}

export const useSession = create<SessionState>()((set) => ({
  info: null,
  checked: false,
  async refresh() {
    try {
      const info = await api.session();
      setCsrfToken(info.csrf_token);
      set({ info, checked: true });
      return info;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        set({ info: null, checked: true });
        return null;
      }
      set({ checked: true });
      throw error;
    }
  },
  signedIn(info) {
    setCsrfToken(info.csrf_token);
    set({ info, checked: true });
  },
  async signOut() {
    try {
      await api.signOut();
    } finally {
      setCsrfToken(null);
      set({ info: null, checked: true });
    }
  },
}));

/** Say whether the signed-in user may change flows (editor or admin). */
export function canEdit(info: SessionInfo | null): boolean {
  return !!info && (info.user.role === "editor" || info.user.role === "admin");
}
