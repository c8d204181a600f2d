import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { authFetch } from "../../api/authFetch";
import { ApiError, errorMessage } from "../../api/errors";
import { useOnline } from "../../ui/useOnline";
import { artifactWritten } from "../artifacts/queries";
import { type ChatMessage, textOf, threadReducer } from "./messageState";
import { composed, dequeue, enqueue, type Queued, readQueue } from "./offlineQueue";
import { cancelReply, loadMessages, sendMessage, streamUrl, threadQuery } from "./queries";
import { followReply } from "./sse";

export type Connection = "live" | "reconnecting";

/**
 * The conversation of one thread: the stored messages, the replies being written (followed
 * over SSE), and what the analyst sends, queued while offline.
 */
/** Statuses after which sending the same message again cannot succeed. */
const REFUSED = new Set([400, 403, 404, 413, 422]);

/**
 * The sends in flight, by the message's key, across mounts: a thread page opened again while
 * its message is still being sent finds it in the device's queue, and waits for that send
 * instead of making another request. (One made anyway, from another tab or after this one
 * finished, carries the same key, and the server answers it with the message it stored.)
 */
const inFlight = new Map<string, ReturnType<typeof sendMessage>>();

function sendOnce(threadId: string, item: Queued) {
  let pending = inFlight.get(item.clientMessageId);
  if (!pending) {
    pending = sendMessage(threadId, item.content, item.clientMessageId).finally(() =>
      inFlight.delete(item.clientMessageId),
    );
    inFlight.set(item.clientMessageId, pending);
  }
  return pending;
}

export function useConversation(threadId: string) {
  const queryClient = useQueryClient();
  const online = useOnline();
  const [messages, dispatch] = useReducer(threadReducer, []);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [connection, setConnection] = useState<Connection>("live");
  const followers = useRef(new Map<string, AbortController>());
  const flushing = useRef(false);
  const restored = useRef(false);

  const stopFollowing = useCallback(() => {
    for (const controller of followers.current.values()) controller.abort();
    followers.current.clear();
  }, []);

  const reload = useCallback(async () => {
    try {
      const stored = await loadMessages(threadId);
      // Queued here but already stored (sent from another tab, or by an attempt whose answer
      // never arrived): no longer waiting.
      const sent = new Set(stored.map((m) => m.client_message_id));
      for (const item of readQueue(threadId)) {
        if (sent.has(item.clientMessageId)) dequeue(threadId, item.id);
      }
      stopFollowing(); // the followers start afresh on the reloaded messages
      dispatch({ type: "loaded", messages: stored });
      if (!restored.current) {
        // What was written here offline shows once the thread is known to be this person's.
        restored.current = true;
        for (const item of readQueue(threadId)) dispatch({ type: "queued", ...item });
      }
      setLoadError(null);
      setLoaded(true);
    } catch (reason) {
      setLoadError(errorMessage(reason));
    }
  }, [threadId, stopFollowing]);

  useEffect(() => {
    reload();
    return stopFollowing;
  }, [reload, stopFollowing]);

  // Follow every reply still being written.
  useEffect(() => {
    for (const message of messages) {
      if (message.role !== "assistant" || message.status !== "streaming") continue;
      if (followers.current.has(message.id)) continue;
      const controller = new AbortController();
      followers.current.set(message.id, controller);
      const replyId = message.id;
      followReply({
        url: streamUrl(threadId, replyId),
        signal: controller.signal,
        fetch: authFetch,
        onEvent: (event) => {
          dispatch({ type: "event", replyId, event });
          if (event.event === "artifact" && typeof event.data.artifact_id === "string") {
            const thread = queryClient.getQueryData(threadQuery(threadId).queryKey);
            artifactWritten(queryClient, event.data.artifact_id, thread?.project_id);
          }
        },
        onStatus: setConnection,
      }).then((outcome) => {
        if (followers.current.get(replyId) !== controller) return;
        followers.current.delete(replyId);
        setConnection("live");
        if (outcome === "gave-up") reload(); // the stream failed repeatedly: read what is stored
        if (outcome === "finished") {
          queryClient.invalidateQueries({ queryKey: ["threads", threadId] });
          queryClient.invalidateQueries({ queryKey: ["me", "usage"] });
        }
      });
    }
  }, [messages, threadId, reload, queryClient]);

  const deliver = useCallback(
    async (item: Queued) => {
      const { id: localId, content } = item;
      dispatch({ type: "sending", id: localId });
      try {
        const sent = await sendOnce(threadId, item);
        dequeue(threadId, localId);
        dispatch({
          type: "sent",
          localId,
          messageId: sent.message_id,
          replyId: sent.reply_id,
          content,
        });
      } catch (reason) {
        const unreachable = !(reason instanceof ApiError);
        // Refused for good (invalid, too long, the thread gone): it leaves the queue. Anything
        // else (signed out meanwhile, busy, a server error) stays to be sent on the next visit.
        const refused = reason instanceof ApiError && REFUSED.has(reason.status);
        if (refused) dequeue(threadId, localId);
        dispatch({
          type: "send-failed",
          localId,
          error: unreachable
            ? "Waiting for the connection"
            : refused
              ? errorMessage(reason)
              : `${errorMessage(reason)} It is kept on this device and sent when you come back to this thread.`,
          queue: unreachable,
        });
      }
    },
    [threadId],
  );

  const send = useCallback(
    (content: string) => {
      // The key is made once, here, and kept with the queued message for every attempt.
      const item = composed(content);
      enqueue(threadId, item);
      dispatch({ type: "queued", ...item });
      if (navigator.onLine) deliver(item);
    },
    [threadId, deliver],
  );

  // Back online: send what was queued, in order.
  useEffect(() => {
    if (!online || !loaded || flushing.current) return;
    const waiting: Queued[] = messages.flatMap((m) =>
      m.status === "queued" && m.clientMessageId
        ? [{ id: m.id, content: textOf(m), clientMessageId: m.clientMessageId }]
        : [],
    );
    if (!waiting.length) return;
    flushing.current = true;
    (async () => {
      for (const item of waiting) await deliver(item);
    })().finally(() => {
      flushing.current = false;
    });
  }, [online, loaded, messages, deliver]);

  const stop = useCallback(
    async (reply: ChatMessage) => {
      if (!reply.replyTo) return;
      const answer = await cancelReply(threadId, reply.replyTo).catch(() => null);
      if (answer)
        dispatch({ type: "status", replyId: reply.id, status: answer.status as "cancelled" });
    },
    [threadId],
  );

  const retry = useCallback(
    (reply: ChatMessage) => {
      const asked = messages.find((m) => m.id === reply.replyTo);
      if (asked) send(textOf(asked));
    },
    [messages, send],
  );

  return { messages, loaded, loadError, connection, send, stop, retry, reload };
}
