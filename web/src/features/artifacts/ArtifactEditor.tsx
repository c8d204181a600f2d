import { useState } from "react";
import { ApiError, errorMessage } from "../../api/errors";
import Markdown from "../../ui/Markdown";
import { type Artifact, saveArtifact } from "./queries";

type Props = {
  artifact: Artifact;
  onSaved: (saved: Artifact) => void;
  onCancel: () => void;
};

/** Markdown editor with a live preview; saving makes a new version. Loaded on demand. */
export default function ArtifactEditor({ artifact, onSaved, onCancel }: Props) {
  const [title, setTitle] = useState(artifact.title);
  const [content, setContent] = useState(artifact.content);
  const [tab, setTab] = useState<"write" | "preview">("write");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save() {
    if (!title.trim() || !content.trim()) {
      setError("The title and the content cannot be empty.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSaved(await saveArtifact(artifact.id, { title, content, base_version: artifact.version }));
    } catch (reason) {
      setError(
        reason instanceof ApiError && reason.status === 409
          ? "Someone saved a newer version meanwhile. Copy your text, reload, and apply it again."
          : errorMessage(reason),
      );
      setBusy(false);
    }
  }

  return (
    <section className="editor" aria-label="Edit artifact">
      <label>
        Title
        <input value={title} maxLength={300} onChange={(event) => setTitle(event.target.value)} />
      </label>
      <div className="tabs" role="tablist" aria-label="Editor view">
        <button
          type="button"
          role="tab"
          aria-selected={tab === "write"}
          onClick={() => setTab("write")}
        >
          Write
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === "preview"}
          onClick={() => setTab("preview")}
        >
          Preview
        </button>
      </div>
      <div className="editor-panes" data-tab={tab}>
        <label className="editor-write">
          <span className="visually-hidden">Content</span>
          <textarea
            value={content}
            rows={18}
            spellCheck
            onChange={(event) => setContent(event.target.value)}
          />
        </label>
        <section className="editor-preview" aria-label="Preview">
          <Markdown>{content}</Markdown>
        </section>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={busy} onClick={save}>
          Save new version
        </button>
      </div>
    </section>
  );
}
