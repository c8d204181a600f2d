import { useCallback, useId, useRef, useState } from "react";
import { errorMessage } from "../../api/errors";
import { useDismiss } from "../../ui/useDismiss";
import { EXPORT_FORMATS, type ExportFormat, exportArtifact } from "./queries";

/** "Export" with Markdown, PDF, Word, Gherkin and CSV. */
export function ExportMenu({ artifactId }: { artifactId: string }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<string | null>(null);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const closeMenu = useCallback(() => setOpen(false), []);

  useDismiss(open, closeMenu, root, button);

  async function download(format: ExportFormat) {
    setBusy(format);
    setError(null);
    try {
      await exportArtifact(artifactId, format);
      setOpen(false);
    } catch (reason) {
      setError(`${errorMessage(reason)} Try again, or pick another format.`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="menu-anchor" ref={root}>
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((value) => !value)}
      >
        Export
      </button>
      {open ? (
        <ul id={menuId} className="popup-menu" aria-label="Export formats">
          {EXPORT_FORMATS.map(({ format, label }) => (
            <li key={format}>
              <button type="button" disabled={busy !== null} onClick={() => download(format)}>
                {busy === format ? `${label}…` : label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
