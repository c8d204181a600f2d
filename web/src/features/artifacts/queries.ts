import { type QueryClient, queryOptions } from "@tanstack/react-query";
import { authFetch } from "../../api/authFetch";
import { api, data, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";

export type Artifact = Schemas["ArtifactRead"];

export const artifactQuery = (artifactId: string) =>
  queryOptions({
    queryKey: ["artifacts", artifactId],
    queryFn: () =>
      data(
        api.GET("/api/artifacts/{artifact_id}", { params: { path: { artifact_id: artifactId } } }),
      ),
  });

export const versionsQuery = (artifactId: string) =>
  queryOptions({
    queryKey: ["artifacts", artifactId, "versions"],
    queryFn: () =>
      data(
        api.GET("/api/artifacts/{artifact_id}/versions", {
          params: { path: { artifact_id: artifactId } },
        }),
      ),
  });

export const versionQuery = (artifactId: string, version: number) =>
  queryOptions({
    queryKey: ["artifacts", artifactId, "versions", version],
    queryFn: () =>
      data(
        api.GET("/api/artifacts/{artifact_id}/versions/{number}", {
          params: { path: { artifact_id: artifactId, number: version } },
        }),
      ),
    staleTime: Number.POSITIVE_INFINITY, // a version never changes
  });

export const projectArtifactsQuery = (projectId: string) =>
  queryOptions({
    queryKey: ["projects", projectId, "artifacts"],
    queryFn: () =>
      data(
        api.GET("/api/projects/{project_id}/artifacts", {
          params: { path: { project_id: projectId }, query: { limit: 100 } },
        }),
      ),
  });

/**
 * The AI wrote an artifact (a new one, or a new version of one): its page, its history and
 * the lists that show it are read again.
 */
export function artifactWritten(queryClient: QueryClient, artifactId: string, projectId?: string) {
  queryClient.invalidateQueries({ queryKey: ["artifacts", artifactId] });
  if (projectId) {
    queryClient.invalidateQueries({ queryKey: projectArtifactsQuery(projectId).queryKey });
  } else {
    queryClient.invalidateQueries({
      predicate: ({ queryKey }) => queryKey[0] === "projects" && queryKey[2] === "artifacts",
    });
  }
}

export function saveArtifact(artifactId: string, body: Schemas["ArtifactUpdate"]) {
  return data(
    api.PATCH("/api/artifacts/{artifact_id}", {
      params: { path: { artifact_id: artifactId } },
      body,
    }),
  );
}

export const EXPORT_FORMATS = [
  { format: "markdown", label: "Markdown" },
  { format: "pdf", label: "PDF" },
  { format: "docx", label: "Word" },
  { format: "feature", label: "Gherkin" },
  { format: "csv", label: "CSV" },
] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number]["format"];

function attachmentName(response: Response, fallback: string): string {
  const header = response.headers.get("Content-Disposition") ?? "";
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded) return decodeURIComponent(encoded[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

/** Downloads the export as the file the server names (fetched with the token, then saved). */
export async function exportArtifact(artifactId: string, format: ExportFormat): Promise<void> {
  const url = `/api/artifacts/${encodeURIComponent(artifactId)}/export?format=${format}`;
  const response = await authFetch(new Request(url));
  if (!response.ok) {
    const body = await response.json().catch(() => undefined);
    throw new ApiError(response.status, body);
  }
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = attachmentName(response, `artifact.${format}`);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
