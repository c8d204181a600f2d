/**
 * A message is a list of parts: text, tool activity and artifacts, each drawn by its own
 * small component. The reply's parts are built from the stream's events; a stored message
 * becomes parts too, so both look the same.
 */
import type { Schemas } from "../../api/client";

export type TextPart = { type: "text"; text: string };
export type ToolPart = {
  type: "tool";
  tool: string;
  input: Record<string, unknown>;
  status: "running" | "done";
  preview?: string;
};
export type ArtifactPart = { type: "artifact"; id: string; kind: string; title: string };
export type Part = TextPart | ToolPart | ArtifactPart;

export type MessageStatus =
  | "complete"
  | "streaming"
  | "error"
  | "cancelled"
  | "interrupted"
  | "queued"
  | "sending";

export type ChatMessage = {
  id: string;
  role: "user" | "assistant";
  status: MessageStatus;
  parts: Part[];
  /** For a reply: the analyst's message it answers (the stream's key, and what Retry resends). */
  replyTo?: string | null;
  error?: string;
  /** Sent from this page: kept when a reload's snapshot was taken before it existed. */
  local?: boolean;
};

export type StreamEvent = { id: number; event: string; data: Record<string, unknown> };

export function fromApi(message: Schemas["MessageRead"]): ChatMessage {
  // The tools a reply used come first, as they did while it was being written.
  const parts: Part[] = (message.tool_calls ?? []).map((call) => ({
    type: "tool",
    tool: call.tool,
    input: call.input,
    status: call.status === "executing" ? "running" : "done",
    preview: call.result_preview ?? undefined,
  }));
  if (message.content) parts.push({ type: "text", text: message.content });
  for (const artifact of message.artifacts ?? []) {
    parts.push({ type: "artifact", id: artifact.id, kind: artifact.type, title: artifact.title });
  }
  return {
    id: message.id,
    role: message.role === "user" ? "user" : "assistant",
    status: message.status as MessageStatus,
    parts,
    replyTo: message.reply_to,
    error:
      message.status === "error"
        ? "The reply could not be written. Retry to ask again."
        : undefined,
  };
}

export function textOf(message: ChatMessage): string {
  return message.parts
    .filter((part): part is TextPart => part.type === "text")
    .map((part) => part.text)
    .join("");
}

const text = (value: unknown) => (typeof value === "string" ? value : "");

/** The reply after one stream event. `start` begins it afresh (a replay repeats everything). */
export function applyEvent(message: ChatMessage, event: StreamEvent): ChatMessage {
  const { data } = event;
  switch (event.event) {
    case "start":
      return { ...message, status: "streaming", parts: [], error: undefined };
    case "chunk": {
      const content = text(data.content);
      const last = message.parts.at(-1);
      if (last?.type === "text") {
        return {
          ...message,
          parts: [...message.parts.slice(0, -1), { ...last, text: last.text + content }],
        };
      }
      return { ...message, parts: [...message.parts, { type: "text", text: content }] };
    }
    case "tool_call":
      return {
        ...message,
        parts: [
          ...message.parts,
          {
            type: "tool",
            tool: text(data.tool),
            input: (data.input as Record<string, unknown>) ?? {},
            status: "running",
          },
        ],
      };
    case "tool_result": {
      const index = message.parts.findLastIndex(
        (part) => part.type === "tool" && part.tool === data.tool && part.status === "running",
      );
      if (index < 0) return message;
      const parts = [...message.parts];
      parts[index] = {
        ...(parts[index] as ToolPart),
        status: "done",
        preview: text(data.result_preview),
      };
      return { ...message, parts };
    }
    case "artifact":
      return {
        ...message,
        parts: [
          ...message.parts,
          {
            type: "artifact",
            id: text(data.artifact_id),
            kind: text(data.type),
            title: text(data.title),
          },
        ],
      };
    case "complete": {
      const status = (text(data.status) || "complete") as MessageStatus;
      return { ...message, status: status === "streaming" ? "complete" : status };
    }
    case "error":
      return {
        ...message,
        status: "error",
        error: text(data.message) || "The reply could not be written. Retry to ask again.",
      };
    default:
      return message;
  }
}

export type ThreadAction =
  | { type: "loaded"; messages: Schemas["MessageRead"][] }
  | { type: "queued"; id: string; content: string }
  | { type: "sending"; id: string }
  | { type: "sent"; localId: string; messageId: string; replyId: string; content: string }
  | { type: "send-failed"; localId: string; error: string; queue: boolean }
  | { type: "event"; replyId: string; event: StreamEvent }
  | { type: "status"; replyId: string; status: MessageStatus };

function userMessage(id: string, content: string, status: MessageStatus): ChatMessage {
  return { id, role: "user", status, parts: [{ type: "text", text: content }] };
}

/** The conversation: stored messages, then the ones written here that are queued or sending. */
export function threadReducer(messages: ChatMessage[], action: ThreadAction): ChatMessage[] {
  switch (action.type) {
    case "loaded": {
      const stored = new Set(action.messages.map((m) => m.id));
      const newer = messages.filter(
        (m) => !stored.has(m.id) && (m.local || m.status === "queued" || m.status === "sending"),
      );
      return [...action.messages.map(fromApi), ...newer];
    }
    case "queued":
      return [...messages, userMessage(action.id, action.content, "queued")];
    case "sending":
      return messages.map((m) => (m.id === action.id ? { ...m, status: "sending" } : m));
    case "sent": {
      const sent = { ...userMessage(action.messageId, action.content, "complete"), local: true };
      const reply: ChatMessage = {
        id: action.replyId,
        role: "assistant",
        status: "streaming",
        parts: [],
        replyTo: action.messageId,
        local: true,
      };
      const at = messages.findIndex((m) => m.id === action.localId);
      if (at < 0) return [...messages, sent, reply];
      return [...messages.slice(0, at), sent, reply, ...messages.slice(at + 1)];
    }
    case "send-failed":
      return messages.map((m) =>
        m.id === action.localId
          ? { ...m, status: action.queue ? "queued" : "error", error: action.error }
          : m,
      );
    case "event":
      return messages.map((m) => (m.id === action.replyId ? applyEvent(m, action.event) : m));
    case "status":
      return messages.map((m) => (m.id === action.replyId ? { ...m, status: action.status } : m));
    default:
      return messages;
  }
}
