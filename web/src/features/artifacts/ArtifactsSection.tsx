import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { Link } from "react-router";
import { timeAgo } from "../../ui/format";
import { projectArtifactsQuery } from "./queries";

export function ArtifactsSection({ projectId }: { projectId: string }) {
  const artifacts = useQuery(projectArtifactsQuery(projectId));
  const headingId = useId();
  return (
    <section className="section" aria-labelledby={headingId}>
      <h2 id={headingId}>Artifacts</h2>
      {artifacts.data?.artifacts.length === 0 ? (
        <p className="empty">No artifacts yet. Ask in a thread for a user story or requirements.</p>
      ) : null}
      <ul className="list">
        {artifacts.data?.artifacts.map((artifact) => (
          <li key={artifact.id}>
            <Link className="list-title" to={`/artifacts/${artifact.id}`}>
              {artifact.title}
            </Link>
            <span className="meta">
              version {artifact.version} · {timeAgo(artifact.updated_at)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
