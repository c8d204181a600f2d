import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { errorMessage } from "../../api/errors";
import { ArtifactsSection } from "../artifacts/ArtifactsSection";
import { ThreadsSection } from "../chat/ThreadsSection";
import { DocumentsSection } from "../documents/DocumentsSection";
import { SearchPanel } from "../documents/SearchPanel";
import { projectQuery } from "./queries";

export function ProjectPage({ projectId }: { projectId: string }) {
  const project = useQuery(projectQuery(projectId));
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
    </main>
  );
}
