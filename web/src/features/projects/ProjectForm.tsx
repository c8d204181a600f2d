import { type FormEvent, useState } from "react";
import { ApiError, errorMessage } from "../../api/errors";
import { Dialog } from "../../ui/Dialog";

type Values = { name: string; description: string };

type Props = {
  open: boolean;
  title: string;
  submitLabel: string;
  initial?: Values;
  onSubmit: (values: Values) => Promise<unknown>;
  onClose: () => void;
};

/** The "New project" and "Rename project" dialog. */
export function ProjectForm({ open, title, submitLabel, initial, onSubmit, onClose }: Props) {
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      {open ? (
        <Fields submitLabel={submitLabel} initial={initial} onSubmit={onSubmit} onClose={onClose} />
      ) : null}
    </Dialog>
  );
}

function Fields({ submitLabel, initial, onSubmit, onClose }: Omit<Props, "open" | "title">) {
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError("Give the project a name.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit({ name: name.trim(), description: description.trim() });
      onClose();
    } catch (reason) {
      const fields = reason instanceof ApiError ? Object.values(reason.details).join(" ") : "";
      setError(`${errorMessage(reason)} ${fields}`.trim());
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <label>
        Name
        <input
          name="name"
          value={name}
          maxLength={200}
          required
          // biome-ignore lint/a11y/noAutofocus: the dialog opens to type a name
          autoFocus
          aria-invalid={error !== null && !name.trim()}
          onChange={(event) => setName(event.target.value)}
        />
      </label>
      <label>
        Description
        <textarea
          name="description"
          value={description}
          maxLength={5000}
          rows={3}
          onChange={(event) => setDescription(event.target.value)}
        />
      </label>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
