// A small modal dialog on the native <dialog> element (focus kept inside, Escape closes).
import { useEffect, useRef } from "react";
import type { ReactNode } from "react";

export function Dialog({ title, children, onClose, labelledBy }: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  labelledBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal?.();
    return () => dialog?.close?.();
  }, []);
  const id = labelledBy ?? `dialog-${title.replace(/\W+/g, "-")}`;
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={id} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <h2 id={id}>{title}</h2>
      {children}
    </dialog>
  );
}
