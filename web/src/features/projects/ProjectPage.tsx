import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { errorMessage } from "../../api/errors";
import { ArtifactsSection } from "../artifacts/ArtifactsSection";
import { projectArtifactsQuery } from "../artifacts/queries";
import { threadsQuery } from "../chat/queries";
import { ThreadsSection } from "../chat/ThreadsSection";
import { DocumentsSection } from "../documents/DocumentsSection";
import { documentsQuery } from "../documents/queries";
import { SearchPanel } from "../documents/SearchPanel";
import { projectQuery } from "./queries";

export function ProjectPage({ projectId }: { projectId: string }) {
  const project = useQuery(projectQuery(projectId));
  // The sections appear together once their lists are in, so nothing jumps as each arrives.
  const sections = useQueries({
    queries: [threadsQuery(projectId), projectArtifactsQuery(projectId), documentsQuery(projectId)],
  });
  const ready = project.isSuccess && sections.every((query) => !query.isPending);
  if (project.isError) {
    return (
      <main id="main" className="page">
        <p role="alert" className="error">
          {errorMessage(project.error)} <Link to="/projects">Back to projects</Link>
        </p>
      </main>
    );
  }
  return (
    <main id="main" className="page project-page">
      <Link to="/projects" className="back">
        ← Projects
      </Link>
      <h1>{project.data?.name ?? "Project"}</h1>
      {project.data?.description ? <p className="lead">{project.data.description}</p> : null}
      {ready ? (
        <div className="project-grid">
          <div>
            <ThreadsSection projectId={projectId} />
            <ArtifactsSection projectId={projectId} />
          </div>
          <div>
            <DocumentsSection projectId={projectId} />
            <SearchPanel projectId={projectId} />
          </div>
        </div>
      ) : (
        // The sections replace this line once their lists are in (the grid's own CSS display
        // would override a hidden attribute, and showing them early made them jump).
        <p className="empty" role="status">
          Loading the project…
        </p>
      )}
    </main>
  );
}
