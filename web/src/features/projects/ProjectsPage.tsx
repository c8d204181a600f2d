import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { errorMessage } from "../../api/errors";
import { ConfirmDialog } from "../../ui/Dialog";
import { plural, timeAgo } from "../../ui/format";
import { ProjectForm } from "./ProjectForm";
import {
  createProject,
  deleteProject,
  type Project,
  projectsQuery,
  updateProject,
} from "./queries";

function ProjectCard({ project }: { project: Project }) {
  const queryClient = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const remove = useMutation({
    mutationFn: () => deleteProject(project.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["projects"] }),
  });
  return (
    <li className="card">
      <h2>
        <Link to={`/projects/${project.id}`}>{project.name}</Link>
      </h2>
      {project.description ? <p>{project.description}</p> : null}
      <p className="meta">
        {plural(project.document_count, "document")} · {plural(project.thread_count, "thread")} ·
        active {timeAgo(project.last_activity_at)}
      </p>
      <div className="card-actions">
        <button
          type="button"
          onClick={() => setRenaming(true)}
          aria-label={`Rename ${project.name}`}
        >
          Rename
        </button>
        <button
          type="button"
          onClick={() => setDeleting(true)}
          aria-label={`Delete ${project.name}`}
        >
          Delete
        </button>
      </div>
      <ProjectForm
        open={renaming}
        title="Rename project"
        submitLabel="Save"
        initial={{ name: project.name, description: project.description ?? "" }}
        onSubmit={async (values) => {
          await updateProject(project.id, values);
          await queryClient.invalidateQueries({ queryKey: ["projects"] });
        }}
        onClose={() => setRenaming(false)}
      />
      <ConfirmDialog
        open={deleting}
        title={`Delete “${project.name}”?`}
        message="Its documents, threads and artifacts are deleted too. This cannot be undone."
        confirmLabel="Delete project"
        busy={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => setDeleting(false) })}
        onClose={() => setDeleting(false)}
      />
    </li>
  );
}

export function ProjectsPage() {
  const projects = useQuery(projectsQuery());
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  return (
    <main id="main" className="page">
      <div className="page-heading">
        <h1>Projects</h1>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New project
        </button>
      </div>
      {projects.isPending ? <p>Loading projects…</p> : null}
      {projects.isError ? (
        <p role="alert" className="error">
          {errorMessage(projects.error)}{" "}
          <button type="button" onClick={() => projects.refetch()}>
            Retry
          </button>
        </p>
      ) : null}
      {projects.data?.projects.length === 0 ? (
        <p className="empty">No projects yet. Create one to upload documents and start a thread.</p>
      ) : null}
      <ul className="cards">
        {projects.data?.projects.map((project) => (
          <ProjectCard key={project.id} project={project} />
        ))}
      </ul>
      <ProjectForm
        open={creating}
        title="New project"
        submitLabel="Create"
        onSubmit={async (values) => {
          await createProject(values);
          await queryClient.invalidateQueries({ queryKey: ["projects"] });
        }}
        onClose={() => setCreating(false)}
      />
    </main>
  );
}
