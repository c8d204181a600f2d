import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type DragEvent, useId, useRef, useState } from "react";
import { errorMessage } from "../../api/errors";
import { ConfirmDialog } from "../../ui/Dialog";
import { fileSize, timeAgo } from "../../ui/format";
import { deleteDocument, documentsQuery } from "./queries";
import { uploadDocument } from "./upload";

type Upload = {
  key: string;
  name: string;
  progress: number;
  state: "uploading" | "done" | "failed";
  error?: string;
};

const ACCEPT = ".txt,.md,.pdf,.docx";

export function DocumentsSection({ projectId }: { projectId: string }) {
  const queryClient = useQueryClient();
  const documents = useQuery(documentsQuery(projectId));
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const headingId = useId();
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  const remove = useMutation({
    mutationFn: deleteDocument,
    onSuccess: () => {
      setRemoving(null);
      return queryClient.invalidateQueries({ queryKey: ["projects", projectId] });
    },
  });

  function patch(key: string, change: Partial<Upload>) {
    setUploads((all) => all.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }

  async function upload(files: File[]) {
    const started = files.map((file) => ({
      key: `${file.name}-${crypto.randomUUID()}`,
      name: file.name,
      progress: 0,
      state: "uploading" as const,
    }));
    setUploads((all) => [...started, ...all.filter((item) => item.state !== "done")]);
    await Promise.all(
      files.map(async (file, index) => {
        const { key } = started[index];
        try {
          await uploadDocument(projectId, file, (progress) => patch(key, { progress }));
          patch(key, { state: "done", progress: 1 });
        } catch (reason) {
          patch(key, { state: "failed", error: errorMessage(reason) });
        }
      }),
    );
    await queryClient.invalidateQueries({ queryKey: ["projects", projectId] });
    await queryClient.invalidateQueries({ queryKey: ["projects"], exact: true });
  }

  function drop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    const files = Array.from(event.dataTransfer.files);
    if (files.length) upload(files);
  }

  return (
    <section className="section" aria-labelledby={headingId}>
      <h2 id={headingId}>Documents</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop zone is an extra; the button does the same */}
      <div
        className={dragging ? "drop-zone dragging" : "drop-zone"}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <button type="button" className="primary" onClick={() => input.current?.click()}>
          Upload document
        </button>
        <span>or drop files here (.txt, .md, .pdf, .docx)</span>
        <input
          ref={input}
          type="file"
          multiple
          accept={ACCEPT}
          hidden
          aria-label="Upload document"
          onChange={(event) => {
            const files = Array.from(event.target.files ?? []);
            event.target.value = "";
            if (files.length) upload(files);
          }}
        />
      </div>
      {uploads.length ? (
        <ul className="uploads" aria-label="Uploads">
          {uploads.map((item) => (
            <li key={item.key}>
              <span className="upload-name">{item.name}</span>
              {item.state === "failed" ? (
                <span role="alert" className="error">
                  {item.error}
                </span>
              ) : (
                <progress max={1} value={item.progress} aria-label={`Uploading ${item.name}`} />
              )}
              <span className="upload-state">
                {item.state === "done" ? "Uploaded" : item.state === "failed" ? "Failed" : ""}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {documents.isError ? (
        <p role="alert" className="error">
          {errorMessage(documents.error)}
        </p>
      ) : null}
      {documents.data?.documents.length === 0 ? (
        <p className="empty">
          No documents yet. Upload requirements, notes or policies to search them.
        </p>
      ) : null}
      <ul className="list" aria-label="Documents">
        {documents.data?.documents.map((document) => (
          <li key={document.id}>
            <span className="list-title">{document.name}</span>
            <span className="meta">
              {fileSize(document.size_bytes)} · {timeAgo(document.created_at)}
            </span>
            <button
              type="button"
              className="link-button"
              aria-label={`Delete ${document.name}`}
              onClick={() => {
                remove.reset();
                setRemoving({ id: document.id, name: document.name });
              }}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={removing !== null}
        title={`Delete “${removing?.name ?? "this document"}”?`}
        message="The document and its passages leave this project; the AI can no longer search or cite it. Threads and artifacts stay."
        confirmLabel="Delete document"
        busy={remove.isPending}
        error={remove.isError ? `${errorMessage(remove.error)} Try again.` : null}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onClose={() => setRemoving(null)}
      />
    </section>
  );
}
