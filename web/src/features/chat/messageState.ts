/**
 * A message is a list of parts: text, tool activity and artifacts, each drawn by its own
 * small component. The reply's parts are built from the stream's events; a stored message
 * becomes parts too, so both look the same. While a reply is being written, `activity` says
 * what it is doing when no words arrive (the stream's `progress`).
 */
import type { Schemas } from "../../api/client";

export type TextPart = { type: "text"; text: string };
/** A passage a document search found: "refund-policy.md · passage 3", with its words if sent. */
export type Passage = {
  documentId: string;
  documentName: string;
  passage: number;
  excerpt?: string;
};
export type ToolPart = {
  type: "tool";
  tool: string;
  input: Record<string, unknown>;
  status: "running" | "done";
  preview?: string;
  passages?: Passage[];
};
/**
 * A deliverable the AI wrote. A thread shows one card per artifact, where it was first
 * written; a later revision updates that card (`version` is the newest known) instead of
 * adding another.
 */
export type ArtifactPart = {
  type: "artifact";
  id: string;
  kind: string;
  title: string;
  version: number;
};
export type Part = TextPart | ToolPart | ArtifactPart;
export type Activity = "thinking" | "searching" | "writing";

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
  /** The key every attempt to send this message carries (the server stores it once). */
  clientMessageId?: string;
  /** While streaming: the last `progress`, until the reply does something else. */
  activity?: Activity;
};

export type StreamEvent = { id: number; event: string; data: Record<string, unknown> };

function passagesOf(found: Schemas["PassageRef"][] | undefined): Passage[] | undefined {
  if (!found?.length) return undefined;
  return found.map((p) => ({
    documentId: p.document_id,
    documentName: p.document_name,
    passage: p.passage,
  }));
}

export function fromApi(message: Schemas["MessageRead"]): ChatMessage {
  // The tools a reply used come first, as they did while it was being written.
  const parts: Part[] = (message.tool_calls ?? []).map((call) => {
    const passages = passagesOf(call.passages);
    return {
      type: "tool",
      tool: call.tool,
      input: call.input,
      status: call.status === "executing" ? "running" : "done",
      preview: call.result_preview ?? undefined,
      ...(passages ? { passages } : {}),
    };
  });
  if (message.content) parts.push({ type: "text", text: message.content });
  for (const artifact of message.artifacts ?? []) {
    parts.push({
      type: "artifact",
      id: artifact.id,
      kind: artifact.type,
      title: artifact.title,
      version: Math.max(artifact.latest_version, artifact.version),
    });
  }
  return {
    id: message.id,
    role: message.role === "user" ? "user" : "assistant",
    status: message.status as MessageStatus,
    parts,
    replyTo: message.reply_to,
    ...(message.client_message_id ? { clientMessageId: message.client_message_id } : {}),
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
const whole = (value: unknown) =>
  typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 1;
const ACTIVITIES = new Set<string>(["thinking", "searching", "writing"]);

function passagesFrom(value: unknown): Passage[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null)
    .map((item) => {
      const excerpt = text(item.snippet).trim();
      return {
        documentId: text(item.document_id),
        documentName: text(item.document_name),
        passage: whole(item.passage),
        ...(excerpt ? { excerpt } : {}),
      };
    });
}

/** The artifact an `artifact` event announces, as the card it adds. */
export function artifactOf(data: Record<string, unknown>): ArtifactPart {
  return {
    type: "artifact",
    id: text(data.artifact_id),
    kind: text(data.type),
    title: text(data.title),
    version: whole(data.version),
  };
}

function hasCard(message: ChatMessage, artifactId: string): boolean {
  return message.parts.some((part) => part.type === "artifact" && part.id === artifactId);
}

/** The message with its card of this artifact showing the new version and title. */
function reviseCard(message: ChatMessage, written: ArtifactPart): ChatMessage {
  if (!hasCard(message, written.id)) return message;
  return {
    ...message,
    parts: message.parts.map((part) =>
      part.type === "artifact" && part.id === written.id && part.version <= written.version
        ? { ...part, title: written.title, version: written.version }
        : part,
    ),
  };
}

/**
 * One card per artifact in the conversation: the first, showing the newest version any of
 * them knows. A reply that revised an earlier artifact lists it too; its card is dropped.
 */
function oneCardEach(messages: ChatMessage[]): ChatMessage[] {
  const newest = new Map<string, ArtifactPart>();
  for (const message of messages) {
    for (const part of message.parts) {
      if (part.type !== "artifact") continue;
      const known = newest.get(part.id);
      if (!known || part.version >= known.version) newest.set(part.id, part);
    }
  }
  const shown = new Set<string>();
  return messages.map((message) => {
    if (!message.parts.some((part) => part.type === "artifact")) return message;
    const parts: Part[] = [];
    for (const part of message.parts) {
      if (part.type !== "artifact") parts.push(part);
      else if (!shown.has(part.id)) {
        shown.add(part.id);
        const latest = newest.get(part.id) ?? part;
        parts.push({ ...part, title: latest.title, version: latest.version });
      }
    }
    return { ...message, parts };
  });
}

/** The reply after one stream event. `start` begins it afresh (a replay repeats everything). */
export function applyEvent(message: ChatMessage, event: StreamEvent): ChatMessage {
  const { data } = event;
  switch (event.event) {
    case "start":
      return { ...message, status: "streaming", parts: [], error: undefined, activity: undefined };
    case "progress": {
      const activity = text(data.activity);
      if (message.status !== "streaming" || !ACTIVITIES.has(activity)) return message;
      return { ...message, activity: activity as Activity };
    }
    case "chunk": {
      const content = text(data.content);
      const last = message.parts.at(-1);
      if (last?.type === "text") {
        return {
          ...message,
          activity: undefined,
          parts: [...message.parts.slice(0, -1), { ...last, text: last.text + content }],
        };
      }
      return {
        ...message,
        activity: undefined,
        parts: [...message.parts, { type: "text", text: content }],
      };
    }
    case "tool_call":
      return {
        ...message,
        activity: undefined,
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
      const passages = passagesFrom(data.passages);
      parts[index] = {
        ...(parts[index] as ToolPart),
        status: "done",
        preview: text(data.result_preview),
        ...(passages ? { passages } : {}),
      };
      return { ...message, activity: undefined, parts };
    }
    case "artifact": {
      const written = artifactOf(data);
      // Revising an artifact this reply wrote earlier updates its card.
      if (hasCard(message, written.id)) {
        return { ...reviseCard(message, written), activity: undefined };
      }
      return { ...message, activity: undefined, parts: [...message.parts, written] };
    }
    case "complete": {
      const status = (text(data.status) || "complete") as MessageStatus;
      return {
        ...message,
        activity: undefined,
        status: status === "streaming" ? "complete" : status,
      };
    }
    case "error":
      return {
        ...message,
        activity: undefined,
        status: "error",
        error: text(data.message) || "The reply could not be written. Retry to ask again.",
      };
    default:
      return message; // an event this client does not know yet
  }
}

export type ThreadAction =
  | { type: "loaded"; messages: Schemas["MessageRead"][] }
  | { type: "queued"; id: string; content: string; clientMessageId: string }
  | { type: "sending"; id: string }
  | { type: "sent"; localId: string; messageId: string; replyId: string; content: string }
  | { type: "send-failed"; localId: string; error: string; queue: boolean }
  | { type: "event"; replyId: string; event: StreamEvent }
  | { type: "status"; replyId: string; status: MessageStatus };

function userMessage(id: string, content: string, status: MessageStatus): ChatMessage {
  return { id, role: "user", status, parts: [{ type: "text", text: content }] };
}

/** A reply's event, for the conversation: a new version of an earlier artifact updates its card. */
function applyToThread(messages: ChatMessage[], replyId: string, event: StreamEvent) {
  if (event.event === "artifact") {
    const written = artifactOf(event.data);
    const elsewhere = messages.some((m) => m.id !== replyId && hasCard(m, written.id));
    if (elsewhere) {
      return messages.map((m) =>
        m.id === replyId ? { ...m, activity: undefined } : reviseCard(m, written),
      );
    }
  }
  return messages.map((m) => (m.id === replyId ? applyEvent(m, event) : m));
}

/** The conversation: stored messages, then the ones written here that are queued or sending. */
export function threadReducer(messages: ChatMessage[], action: ThreadAction): ChatMessage[] {
  switch (action.type) {
    case "loaded": {
      const stored = new Set(action.messages.map((m) => m.id));
      // A message waiting here whose key the server already holds was sent (by another tab,
      // or by an attempt whose answer never arrived): it shows once, as stored.
      const sent = new Set(action.messages.map((m) => m.client_message_id).filter(Boolean));
      const newer = messages.filter(
        (m) =>
          !stored.has(m.id) &&
          !(m.clientMessageId && sent.has(m.clientMessageId)) &&
          (m.local || m.status === "queued" || m.status === "sending"),
      );
      return oneCardEach([...action.messages.map(fromApi), ...newer]);
    }
    case "queued":
      return [
        ...messages,
        {
          ...userMessage(action.id, action.content, "queued"),
          clientMessageId: action.clientMessageId,
        },
      ];
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
      // Either may be shown already, as stored: the server answers a message sent again
      // (from another tab, or a retry) with the one it stored the first time.
      const adding = [sent, reply].filter((added) => !messages.some((m) => m.id === added.id));
      const at = messages.findIndex((m) => m.id === action.localId);
      if (at < 0) return [...messages, ...adding];
      return [...messages.slice(0, at), ...adding, ...messages.slice(at + 1)];
    }
    case "send-failed":
      return messages.map((m) =>
        m.id === action.localId
          ? { ...m, status: action.queue ? "queued" : "error", error: action.error }
          : m,
      );
    case "event":
      return applyToThread(messages, action.replyId, action.event);
    case "status":
      return messages.map((m) =>
        m.id === action.replyId
          ? {
              ...m,
              status: action.status,
              activity: action.status === "streaming" ? m.activity : undefined,
            }
          : m,
      );
    default:
      return messages;
  }
}

/** The newest title of each artifact in the conversation, by id. */
export function artifactTitles(messages: ChatMessage[]): Map<string, string> {
  const titles = new Map<string, string>();
  for (const message of messages) {
    for (const part of message.parts) {
      if (part.type === "artifact") titles.set(part.id, part.title);
    }
  }
  return titles;
}
