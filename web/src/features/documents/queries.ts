import { queryOptions } from "@tanstack/react-query";
import { api, data } from "../../api/client";

export const documentsQuery = (projectId: string) =>
  queryOptions({
    queryKey: ["projects", projectId, "documents"],
    queryFn: () =>
      data(
        api.GET("/api/projects/{project_id}/documents", {
          params: { path: { project_id: projectId }, query: { limit: 100 } },
        }),
      ),
  });

export const searchQuery = (projectId: string, q: string) =>
  queryOptions({
    queryKey: ["projects", projectId, "search", q],
    queryFn: ({ signal }) =>
      data(
        api.GET("/api/projects/{project_id}/search", {
          params: { path: { project_id: projectId }, query: { q, limit: 10 } },
          signal,
        }),
      ),
    enabled: q.trim().length > 0,
    staleTime: 30_000,
  });

export function deleteDocument(documentId: string) {
  return data(
    api.DELETE("/api/documents/{document_id}", { params: { path: { document_id: documentId } } }),
  );
}
