import { useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Link } from "react-router";
import { errorMessage } from "../../api/errors";
import { timeAgo } from "../../ui/format";
import { ExportMenu } from "./ExportMenu";
import { artifactQuery, versionQuery, versionsQuery } from "./queries";

const Markdown = lazy(() => import("../../ui/Markdown"));
const ArtifactEditor = lazy(() => import("./ArtifactEditor"));

function History({
  artifactId,
  current,
  onPick,
}: {
  artifactId: string;
  current: number;
  onPick: (v: number) => void;
}) {
  const versions = useQuery(versionsQuery(artifactId));
  return (
    <section className="section history" aria-label="Version history">
      <h2>Version history</h2>
      <ol reversed>
        {[...(versions.data?.versions ?? [])].reverse().map((version) => (
          <li key={version.version}>
            <button
              type="button"
              className="link-button"
              aria-current={version.version === current}
              onClick={() => onPick(version.version)}
            >
              Version {version.version}
            </button>{" "}
            <span className="meta">
              {version.title} · {timeAgo(version.created_at)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function ArtifactPage({ artifactId }: { artifactId: string }) {
  const queryClient = useQueryClient();
  const artifact = useQuery(artifactQuery(artifactId));
  const [editing, setEditing] = useState(false);
  const [shown, setShown] = useState<number | null>(null);
  const latest = artifact.data?.version ?? 0;
  const older = useQuery({
    ...versionQuery(artifactId, shown ?? 1),
    enabled: shown !== null && shown !== latest,
  });

  if (artifact.isPending)
    return (
      <main id="main" className="page">
        <p>Loading artifact…</p>
      </main>
    );
  if (artifact.isError) {
    return (
      <main id="main" className="page">
        <p role="alert" className="error">
          {errorMessage(artifact.error)} <Link to="/projects">Go to projects</Link>
        </p>
      </main>
    );
  }
  const data = artifact.data;
  const viewing = shown !== null && shown !== latest ? older.data : null;

  return (
    <main id="main" className="page artifact-page">
      <div className="page-heading">
        <div>
          <Link to={`/threads/${data.thread_id}`} className="back">
            ← Thread
          </Link>
          <h1>{viewing?.title ?? data.title}</h1>
          <p className="meta">
            {viewing ? `Version ${viewing.version} of ${latest}` : `Version ${latest}`} · edited{" "}
            {timeAgo(data.updated_at)}
          </p>
        </div>
        <div className="toolbar">
          {!editing ? (
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          ) : null}
          <ExportMenu artifactId={artifactId} />
        </div>
      </div>
      <Suspense fallback={<p>Loading…</p>}>
        {editing ? (
          <ArtifactEditor
            artifact={data}
            onCancel={() => setEditing(false)}
            onSaved={(saved) => {
              queryClient.setQueryData(artifactQuery(artifactId).queryKey, saved);
              queryClient.invalidateQueries({ queryKey: ["artifacts", artifactId, "versions"] });
              setShown(null);
              setEditing(false);
            }}
          />
        ) : (
          <article className="artifact-body">
            {viewing ? (
              <p className="status-note">
                You are reading an earlier version.{" "}
                <button type="button" className="link-button" onClick={() => setShown(null)}>
                  Show the latest
                </button>
              </p>
            ) : null}
            <Markdown>{viewing?.content ?? data.content}</Markdown>
          </article>
        )}
      </Suspense>
      <History artifactId={artifactId} current={shown ?? latest} onPick={setShown} />
    </main>
  );
}
