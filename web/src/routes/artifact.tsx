import { useParams } from "react-router";
import { ArtifactPage } from "../features/artifacts/ArtifactPage";

export function Component() {
  const { artifactId = "" } = useParams();
  return <ArtifactPage key={artifactId} artifactId={artifactId} />;
}
