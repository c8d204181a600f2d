import { queryOptions } from "@tanstack/react-query";
import { api, data, type Schemas } from "../../api/client";

export type Project = Schemas["ProjectRead"];

export const projectsQuery = () =>
  queryOptions({
    queryKey: ["projects"],
    queryFn: () => data(api.GET("/api/projects", { params: { query: { limit: 100 } } })),
  });

export const projectQuery = (projectId: string) =>
  queryOptions({
    queryKey: ["projects", projectId],
    queryFn: () =>
      data(api.GET("/api/projects/{project_id}", { params: { path: { project_id: projectId } } })),
  });

export function createProject(body: Schemas["ProjectCreate"]) {
  return data(api.POST("/api/projects", { body }));
}

export function updateProject(projectId: string, body: Schemas["ProjectUpdate"]) {
  return data(
    api.PATCH("/api/projects/{project_id}", { params: { path: { project_id: projectId } }, body }),
  );
}

export function deleteProject(projectId: string) {
  return data(
    api.DELETE("/api/projects/{project_id}", { params: { path: { project_id: projectId } } }),
  );
}
