import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import {
  applyEvent,
  type ChatMessage,
  type StreamEvent,
  textOf,
  threadReducer,
} from "./messageState";

let sequence = 0;
const ev = (event: string, data: Record<string, unknown> = {}): StreamEvent => ({
  id: ++sequence,
  event,
  data,
});

const reply = (): ChatMessage => ({
  id: "r1",
  role: "assistant",
  status: "streaming",
  parts: [],
  replyTo: "m1",
});

const play = (message: ChatMessage, events: StreamEvent[]) => events.reduce(applyEvent, message);

const stored = (over: Partial<Schemas["MessageRead"]>): Schemas["MessageRead"] => ({
  id: "m1",
  thread_id: "t",
  role: "user",
  content: "Hello",
  status: "complete",
  reply_to: null,
  model: null,
  token_count: null,
  artifacts: [],
  created_at: "2026-01-01T00:00:00Z",
  ...over,
});

describe("a reply built from its events", () => {
  it("joins chunks into one text part and keeps tool activity and artifacts in order", () => {
    const message = play(reply(), [
      ev("start", { message_id: "r1" }),
      ev("tool_call", { tool: "DocumentSearch", status: "executing", input: { query: "refund" } }),
      ev("tool_result", { tool: "DocumentSearch", result_preview: "Found 3 passages" }),
      ev("chunk", { content: "The refund " }),
      ev("chunk", { content: "window is 30 days." }),
      ev("artifact", { artifact_id: "a1", type: "user_story", title: "Refunds" }),
      ev("complete", { status: "complete", total_tokens: 10 }),
    ]);
    expect(message.status).toBe("complete");
    expect(message.parts).toEqual([
      {
        type: "tool",
        tool: "DocumentSearch",
        input: { query: "refund" },
        status: "done",
        preview: "Found 3 passages",
      },
      { type: "text", text: "The refund window is 30 days." },
      { type: "artifact", id: "a1", kind: "user_story", title: "Refunds" },
    ]);
  });

  it("looks the same when read back from the server after a reload", () => {
    const streamed = play(reply(), [
      ev("start", { message_id: "r1" }),
      ev("tool_call", { tool: "DocumentSearch", status: "executing", input: { query: "refund" } }),
      ev("tool_result", { tool: "DocumentSearch", result_preview: "Found 3 passages" }),
      ev("chunk", { content: "The refund window is 30 days." }),
      ev("artifact", { artifact_id: "a1", type: "user_story", title: "Refunds" }),
      ev("complete", { status: "complete" }),
    ]);
    const [reloaded] = threadReducer([], {
      type: "loaded",
      messages: [
        stored({
          id: "r1",
          role: "assistant",
          content: "The refund window is 30 days.",
          reply_to: "m1",
          artifacts: [{ id: "a1", type: "user_story", title: "Refunds" }],
          tool_calls: [
            {
              tool: "DocumentSearch",
              input: { query: "refund" },
              status: "complete",
              result_preview: "Found 3 passages",
            },
          ],
        }),
      ],
    });
    expect(reloaded.parts).toEqual(streamed.parts);
  });

  it("starts afresh on start, so a replayed stream does not double the text", () => {
    const first = play(reply(), [ev("start"), ev("chunk", { content: "Hello " })]);
    const replayed = play(first, [
      ev("start"),
      ev("chunk", { content: "Hello " }),
      ev("chunk", { content: "there" }),
    ]);
    expect(textOf(replayed)).toBe("Hello there");
  });

  it("keeps the text written so far when stopped, and says why on an error", () => {
    const stopped = play(reply(), [
      ev("start"),
      ev("chunk", { content: "Part" }),
      ev("complete", { status: "cancelled" }),
    ]);
    expect(stopped.status).toBe("cancelled");
    expect(textOf(stopped)).toBe("Part");
    const failed = play(reply(), [ev("start"), ev("error", { message: "Claude is busy; retry." })]);
    expect(failed.status).toBe("error");
    expect(failed.error).toBe("Claude is busy; retry.");
  });
});

describe("the conversation", () => {
  it("shows a queued message, then the sent message and its reply in its place", () => {
    let messages = threadReducer([], { type: "loaded", messages: [stored({})] });
    messages = threadReducer(messages, { type: "queued", id: "local-1", content: "Offline note" });
    expect(messages.map((m) => m.status)).toEqual(["complete", "queued"]);
    messages = threadReducer(messages, {
      type: "sent",
      localId: "local-1",
      messageId: "m2",
      replyId: "r2",
      content: "Offline note",
    });
    expect(messages.map((m) => [m.id, m.role, m.status])).toEqual([
      ["m1", "user", "complete"],
      ["m2", "user", "complete"],
      ["r2", "assistant", "streaming"],
    ]);
  });

  it("keeps unsent messages when the stored conversation is reloaded", () => {
    let messages = threadReducer([], { type: "queued", id: "local-1", content: "Still here" });
    messages = threadReducer(messages, {
      type: "loaded",
      messages: [
        stored({}),
        stored({
          id: "r1",
          role: "assistant",
          content: "Hi",
          reply_to: "m1",
          artifacts: [{ id: "a1", type: "custom", title: "Notes" }],
        }),
      ],
    });
    expect(messages.map((m) => m.id)).toEqual(["m1", "r1", "local-1"]);
    expect(messages[1].parts.map((p) => p.type)).toEqual(["text", "artifact"]);
  });

  it("keeps what was sent meanwhile when a reload's snapshot is older", () => {
    let messages = threadReducer([], { type: "queued", id: "local-1", content: "Quick" });
    messages = threadReducer(messages, {
      type: "sent",
      localId: "local-1",
      messageId: "m2",
      replyId: "r2",
      content: "Quick",
    });
    messages = threadReducer(messages, { type: "loaded", messages: [stored({})] });
    expect(messages.map((m) => m.id)).toEqual(["m1", "m2", "r2"]);
    messages = threadReducer(messages, {
      type: "loaded",
      messages: [stored({}), stored({ id: "m2", content: "Quick" })],
    });
    expect(messages.map((m) => m.id)).toEqual(["m1", "m2", "r2"]);
    expect(messages.filter((m) => m.id === "m2")).toHaveLength(1);
  });

  it("puts a failed send back in the queue when the server could not be reached", () => {
    let messages = threadReducer([], { type: "queued", id: "local-1", content: "x" });
    messages = threadReducer(messages, {
      type: "send-failed",
      localId: "local-1",
      error: "offline",
      queue: true,
    });
    expect(messages[0].status).toBe("queued");
    messages = threadReducer(messages, {
      type: "send-failed",
      localId: "local-1",
      error: "Too long",
      queue: false,
    });
    expect(messages[0]).toMatchObject({ status: "error", error: "Too long" });
  });

  it("applies events to the reply they belong to only", () => {
    const start: ChatMessage[] = [reply(), { ...reply(), id: "r2" }];
    const after = threadReducer(start, {
      type: "event",
      replyId: "r2",
      event: ev("chunk", { content: "x" }),
    });
    expect(textOf(after[0])).toBe("");
    expect(textOf(after[1])).toBe("x");
  });
});
