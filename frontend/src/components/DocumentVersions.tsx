// A bot's or responses set's versions beside its editor: the flows' versions panel, fed by the
// document's store (a publish reads the list again, a rollback reloads the working copy).
import { useStore } from "zustand";
import type { DocumentStore } from "../store/document-store";
import { VersionsPanel } from "./panels/VersionsPanel";

export function DocumentVersions<T extends { id: string }>({ store, readOnly }: {
  store: DocumentStore<T>;
  readOnly: boolean;
}) {
  const kind = useStore(store, (s) => s.kind);
  const id = useStore(store, (s) => s.id);
  const published = useStore(store, (s) => s.published);
  // a viewer compares with the saved draft: there is nothing of theirs to save
  const ensureSaved = async () => (readOnly || !store.getState().dirty ? true : store.getState().save());
  return (
    <aside className="document-versions">
      <VersionsPanel kind={kind} id={id} readOnly={readOnly} ensureSaved={ensureSaved}
        onRestored={() => { store.getState().restored().catch(() => undefined); }} refreshKey={published} />
    </aside>
  );
}
