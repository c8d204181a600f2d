import { type RefObject, useEffect } from "react";

/**
 * Closes an open popup menu on Escape (focus goes back to its button) or on a pointer press
 * outside it. `paused` ignores Escape, e.g. while a dialog opened from the menu takes it.
 */
export function useDismiss(
  open: boolean,
  close: () => void,
  root: RefObject<HTMLElement | null>,
  button: RefObject<HTMLElement | null>,
  paused = false,
): void {
  useEffect(() => {
    if (!open) return;
    const dismiss = (event: Event) => {
      if (event instanceof KeyboardEvent) {
        if (event.key !== "Escape" || paused) return;
        button.current?.focus();
      } else if (root.current?.contains(event.target as Node)) {
        return;
      }
      close();
    };
    document.addEventListener("keydown", dismiss);
    document.addEventListener("pointerdown", dismiss);
    return () => {
      document.removeEventListener("keydown", dismiss);
      document.removeEventListener("pointerdown", dismiss);
    };
  }, [open, close, root, button, paused]);
}
