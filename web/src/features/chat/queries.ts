import { queryOptions } from "@tanstack/react-query";
import { api, data, type Schemas } from "../../api/client";

export type Thread = Schemas["ThreadRead"];
export type MessageRead = Schemas["MessageRead"];

export const threadsQuery = (projectId: string) =>
  queryOptions({
    queryKey: ["projects", projectId, "threads"],
    queryFn: () =>
      data(
        api.GET("/api/projects/{project_id}/threads", {
          params: { path: { project_id: projectId }, query: { limit: 100 } },
        }),
      ),
  });

export const threadQuery = (threadId: string) =>
  queryOptions({
    queryKey: ["threads", threadId],
    queryFn: () =>
      data(api.GET("/api/threads/{thread_id}", { params: { path: { thread_id: threadId } } })),
  });

const PAGE = 100;

/** The whole conversation, oldest first, a page at a time. */
export async function loadMessages(threadId: string): Promise<MessageRead[]> {
  const all: MessageRead[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await data(
      api.GET("/api/threads/{thread_id}/messages", {
        params: { path: { thread_id: threadId }, query: { limit: PAGE, offset } },
      }),
    );
    all.push(...page.messages);
    if (!page.has_more) return all;
  }
}

export function createThread(projectId: string) {
  return data(
    api.POST("/api/projects/{project_id}/threads", {
      params: { path: { project_id: projectId } },
      body: {},
    }),
  );
}

/** Sent with the message's key, the same on every attempt: the server stores it once. */
export function sendMessage(threadId: string, content: string, clientMessageId: string) {
  return data(
    api.POST("/api/threads/{thread_id}/messages", {
      params: { path: { thread_id: threadId } },
      body: { content, client_message_id: clientMessageId },
    }),
  );
}

export function cancelReply(threadId: string, messageId: string) {
  return data(
    api.POST("/api/threads/{thread_id}/messages/{message_id}/cancel", {
      params: { path: { thread_id: threadId, message_id: messageId } },
    }),
  );
}

export function streamUrl(threadId: string, messageId: string): string {
  return `/api/threads/${encodeURIComponent(threadId)}/stream?message_id=${encodeURIComponent(messageId)}`;
}
