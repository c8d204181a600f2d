import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId } from "react";
import { Link, useNavigate } from "react-router";
import { errorMessage } from "../../api/errors";
import { plural, timeAgo } from "../../ui/format";
import { createThread, threadsQuery } from "./queries";

export function ThreadsSection({ projectId }: { projectId: string }) {
  const threads = useQuery(threadsQuery(projectId));
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const headingId = useId();
  const create = useMutation({
    mutationFn: () => createThread(projectId),
    onSuccess: (thread) => {
      queryClient.invalidateQueries({ queryKey: ["projects"] });
      navigate(`/threads/${thread.id}`);
    },
  });
  return (
    <section className="section" aria-labelledby={headingId}>
      <div className="section-heading">
        <h2 id={headingId}>Threads</h2>
        <button
          type="button"
          className="primary"
          disabled={create.isPending}
          onClick={() => create.mutate()}
        >
          New thread
        </button>
      </div>
      {create.isError ? (
        <p role="alert" className="error">
          {errorMessage(create.error)}
        </p>
      ) : null}
      {threads.data?.threads.length === 0 ? (
        <p className="empty">No threads yet. Start one to explore a feature idea.</p>
      ) : null}
      <ul className="cards compact">
        {threads.data?.threads.map((thread) => (
          <li key={thread.id} className="card">
            <h3>
              <Link to={`/threads/${thread.id}`}>{thread.title || "Untitled thread"}</Link>
            </h3>
            {thread.summary ? <p>{thread.summary}</p> : null}
            <p className="meta">
              {plural(thread.message_count, "message")} · active{" "}
              {timeAgo(thread.last_message_at ?? thread.updated_at)}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
