import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router";
import { errorMessage } from "../../api/errors";
import { useOnline } from "../../ui/useOnline";
import { Composer } from "./Composer";
import { MessageList } from "./MessageList";
import { artifactTitles } from "./messageState";
import { threadQuery } from "./queries";
import { ReplyProgress } from "./ReplyProgress";
import { useConversation } from "./useConversation";

export function ThreadPage({ threadId }: { threadId: string }) {
  const thread = useQuery(threadQuery(threadId));
  const online = useOnline();
  const conversation = useConversation(threadId);
  const writing = conversation.messages.findLast(
    (m) => m.role === "assistant" && m.status === "streaming",
  );
  const title = thread.data?.title || "New thread";
  const last = conversation.messages.at(-1);
  const titles = useMemo(() => artifactTitles(conversation.messages), [conversation.messages]);

  return (
    <main id="main" className="page thread-page">
      <div className="thread-heading">
        {thread.data ? (
          <Link to={`/projects/${thread.data.project_id}`} className="back">
            ← Project
          </Link>
        ) : null}
        <h1>{title}</h1>
        {conversation.connection === "reconnecting" ? (
          <span className="reconnecting" role="status">
            Reconnecting…
          </span>
        ) : null}
      </div>
      {thread.isError ? (
        <p role="alert" className="error">
          {errorMessage(thread.error)}
        </p>
      ) : null}
      {conversation.loadError ? (
        <p role="alert" className="error">
          {conversation.loadError}{" "}
          <button type="button" onClick={conversation.reload}>
            Retry
          </button>
        </p>
      ) : null}
      {conversation.loaded && conversation.messages.length === 0 ? (
        <p className="empty">
          Describe the feature you are exploring. The assistant asks what a senior analyst would
          ask, searches this project's documents, and writes user stories when you ask.
        </p>
      ) : null}
      <MessageList messages={conversation.messages} titles={titles} onRetry={conversation.retry} />
      <ReplyProgress
        reply={writing}
        finished={last?.role === "assistant" && last.status === "complete"}
        titles={titles}
      />
      <Composer
        online={online}
        writing={Boolean(writing)}
        onSend={conversation.send}
        onStop={writing ? () => conversation.stop(writing) : undefined}
      />
    </main>
  );
}
