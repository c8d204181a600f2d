import { useParams } from "react-router";
import { ProjectPage } from "../features/projects/ProjectPage";

export function Component() {
  const { projectId = "" } = useParams();
  return <ProjectPage key={projectId} projectId={projectId} />;
}
