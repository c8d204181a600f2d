import { describe, expect, it } from "vitest";
import type { Schemas } from "../../api/client";
import {
  applyEvent,
  type ChatMessage,
  type StreamEvent,
  textOf,
  threadReducer,
} from "./messageState";
import { progressLabel } from "./ReplyProgress";

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
      { type: "artifact", id: "a1", kind: "user_story", title: "Refunds", version: 1 },
    ]);
  });

  it("looks the same when read back from the server after a reload", () => {
    const streamed = play(reply(), [
      ev("start", { message_id: "r1" }),
      ev("tool_call", { tool: "DocumentSearch", status: "executing", input: { query: "refund" } }),
      ev("tool_result", { tool: "DocumentSearch", result_preview: "Found 3 passages" }),
      ev("chunk", { content: "The refund window is 30 days." }),
      ev("artifact", { artifact_id: "a1", type: "user_story", title: "Refunds", version: 1 }),
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
          artifacts: [
            { id: "a1", type: "user_story", title: "Refunds", version: 1, latest_version: 1 },
          ],
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
    messages = threadReducer(messages, {
      type: "queued",
      id: "local-1",
      content: "Offline note",
      clientMessageId: "k1",
    });
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
    let messages = threadReducer([], {
      type: "queued",
      id: "local-1",
      content: "Still here",
      clientMessageId: "k1",
    });
    messages = threadReducer(messages, {
      type: "loaded",
      messages: [
        stored({}),
        stored({
          id: "r1",
          role: "assistant",
          content: "Hi",
          reply_to: "m1",
          artifacts: [{ id: "a1", type: "custom", title: "Notes", version: 1, latest_version: 1 }],
        }),
      ],
    });
    expect(messages.map((m) => m.id)).toEqual(["m1", "r1", "local-1"]);
    expect(messages[1].parts.map((p) => p.type)).toEqual(["text", "artifact"]);
  });

  it("keeps what was sent meanwhile when a reload's snapshot is older", () => {
    let messages = threadReducer([], {
      type: "queued",
      id: "local-1",
      content: "Quick",
      clientMessageId: "k1",
    });
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

  it("shows a queued message once when the stored conversation already holds its key", () => {
    // Sent from another tab, or by an attempt whose answer never arrived.
    let messages = threadReducer([], {
      type: "queued",
      id: "local-1",
      content: "Refunds?",
      clientMessageId: "k1",
    });
    messages = threadReducer(messages, {
      type: "loaded",
      messages: [
        stored({ content: "Refunds?", client_message_id: "k1" }),
        stored({ id: "r1", role: "assistant", content: "Hi", reply_to: "m1" }),
      ],
    });
    expect(messages.map((m) => [m.id, m.status])).toEqual([
      ["m1", "complete"],
      ["r1", "complete"],
    ]);
  });

  it("shows a message once when sending it again is answered with one already shown", () => {
    let messages = threadReducer([], {
      type: "loaded",
      messages: [
        stored({ content: "Refunds?", client_message_id: "k1" }),
        stored({ id: "r1", role: "assistant", content: "Hi", reply_to: "m1" }),
      ],
    });
    messages = threadReducer(messages, {
      type: "queued",
      id: "local-1",
      content: "Refunds?",
      clientMessageId: "k2",
    });
    messages = threadReducer(messages, {
      type: "sent",
      localId: "local-1",
      messageId: "m1",
      replyId: "r1",
      content: "Refunds?",
    });
    expect(messages.map((m) => m.id)).toEqual(["m1", "r1"]);
  });

  it("says a stored reply that failed could not be written, so it can be retried", () => {
    const failed = stored({ id: "r1", role: "assistant", status: "error", content: "Half" });
    const [message] = threadReducer([], { type: "loaded", messages: [failed] });
    expect(message).toMatchObject({ status: "error", parts: [{ type: "text", text: "Half" }] });
    expect(message.error).toBe("The reply could not be written. Retry to ask again.");
  });

  it("puts a failed send back in the queue when the server could not be reached", () => {
    let messages = threadReducer([], {
      type: "queued",
      id: "local-1",
      content: "x",
      clientMessageId: "k1",
    });
    messages = threadReducer(messages, {
      type: "send-failed",
      localId: "local-1",
      error: "offline",
      queue: true,
    });
    // Still with its key: the next attempt sends the same, and the server stores it once.
    expect(messages[0]).toMatchObject({ status: "queued", clientMessageId: "k1" });
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

const noTitles = new Map<string, string>();
const label = (message: ChatMessage) => progressLabel(message, noTitles);

describe("what a reply is doing while it is written", () => {
  it("follows the progress events, and the running tool, never silent between tools", () => {
    let message = play(reply(), [ev("start")]);
    expect(label(message)).toBe("Thinking…");
    message = play(message, [ev("progress", { activity: "searching" })]);
    expect(label(message)).toBe("Searching the documents…");
    message = play(message, [
      ev("tool_call", { tool: "DocumentSearch", status: "executing", input: { query: "refund" } }),
    ]);
    expect(label(message)).toBe("Searching documents for “refund”…");
    message = play(message, [ev("tool_result", { tool: "DocumentSearch", result_preview: "x" })]);
    expect(label(message)).toBe("Thinking…"); // no progress event yet: still not silent
    message = play(message, [ev("progress", { activity: "thinking" })]);
    expect(label(message)).toBe("Thinking…");
    message = play(message, [ev("chunk", { content: "The window" })]);
    expect(message.activity).toBeUndefined();
    expect(label(message)).toBe("Writing the reply…");
    message = play(message, [ev("progress", { activity: "writing" })]);
    expect(label(message)).toBe("Writing…");
  });

  it("clears when the reply finishes, fails or is stopped", () => {
    const thinking = play(reply(), [ev("start"), ev("progress", { activity: "thinking" })]);
    const done = play(thinking, [ev("complete", { status: "complete" })]);
    expect(done.activity).toBeUndefined();
    expect(label(done)).toBe("");
    const failed = play(thinking, [ev("error", { message: "Busy" })]);
    expect(label(failed)).toBe("");
    const [stopped] = threadReducer([thinking], {
      type: "status",
      replyId: "r1",
      status: "cancelled",
    });
    expect(stopped.activity).toBeUndefined();
    expect(label(stopped)).toBe("");
  });

  it("leaves the parts alone: progress is not content, and unknown events are ignored", () => {
    const message = play(reply(), [
      ev("start"),
      ev("progress", { activity: "searching" }),
      ev("progress", { activity: "dreaming" }),
      ev("something_new", { x: 1 }),
    ]);
    expect(message.parts).toEqual([]);
    expect(message.activity).toBe("searching");
  });

  it("names the artifact a reader reads, from the thread's cards", () => {
    const message = play(reply(), [
      ev("start"),
      ev("tool_call", {
        tool: "ArtifactReader",
        status: "executing",
        input: { artifact_id: "a1" },
      }),
    ]);
    expect(progressLabel(message, new Map([["a1", "Refunds"]]))).toBe("Reading “Refunds”…");
    expect(label(message)).toBe("Reading an artifact…");
  });
});

describe("the search before the first model request", () => {
  const passages = [
    { document_id: "d1", document_name: "refund-policy.md", passage: 1, snippet: "within 30 days" },
    { document_id: "d2", document_name: "warehouse.pdf", passage: 3 },
  ];

  it("is a tool activity with its passages, before the model's text", () => {
    const message = play(reply(), [
      ev("start"),
      ev("progress", { activity: "searching" }),
      ev("tool_call", {
        tool: "DocumentSearch",
        status: "executing",
        input: { query: "refund window", max_results: 4 },
      }),
      ev("tool_result", {
        tool: "DocumentSearch",
        result_preview: "Found 2 passages in 2 documents",
        passages,
      }),
      ev("progress", { activity: "thinking" }),
      ev("chunk", { content: "Customers have 30 days." }),
      ev("complete", { status: "complete" }),
    ]);
    expect(message.parts.map((part) => part.type)).toEqual(["tool", "text"]);
    expect(message.parts[0]).toEqual({
      type: "tool",
      tool: "DocumentSearch",
      input: { query: "refund window", max_results: 4 },
      status: "done",
      preview: "Found 2 passages in 2 documents",
      passages: [
        {
          documentId: "d1",
          documentName: "refund-policy.md",
          passage: 1,
          excerpt: "within 30 days",
        },
        { documentId: "d2", documentName: "warehouse.pdf", passage: 3 },
      ],
    });
  });

  it("reads back from the server with the same citations", () => {
    const [stored_] = threadReducer([], {
      type: "loaded",
      messages: [
        stored({
          id: "r1",
          role: "assistant",
          content: "Customers have 30 days.",
          reply_to: "m1",
          tool_calls: [
            {
              tool: "DocumentSearch",
              input: { query: "refund window" },
              status: "complete",
              result_preview: "Found 2 passages in 2 documents",
              passages: passages.map(({ snippet: _, ...cited }) => cited),
            },
          ],
        }),
      ],
    });
    const [search] = stored_.parts;
    expect(search.type === "tool" && search.passages).toEqual([
      { documentId: "d1", documentName: "refund-policy.md", passage: 1 },
      { documentId: "d2", documentName: "warehouse.pdf", passage: 3 },
    ]);
  });

  it("runs alongside the model's own searches, each finished in turn", () => {
    const message = play(reply(), [
      ev("start"),
      ev("tool_call", { tool: "DocumentSearch", status: "executing", input: { query: "a" } }),
      ev("tool_result", { tool: "DocumentSearch", result_preview: "Found 1 passage" }),
      ev("tool_call", { tool: "DocumentSearch", status: "executing", input: { query: "b" } }),
      ev("tool_result", { tool: "DocumentSearch", result_preview: "No passages" }),
    ]);
    expect(message.parts.map((part) => part.type === "tool" && part.preview)).toEqual([
      "Found 1 passage",
      "No passages",
    ]);
  });
});

describe("a revised artifact", () => {
  const story = (version: number, latest = version) => ({
    id: "a1",
    type: "user_story",
    title: version > 1 ? "Refunds, with expired links" : "Refunds",
    version,
    latest_version: latest,
  });
  const first = stored({ id: "r1", role: "assistant", content: "Here it is.", reply_to: "m1" });
  const ask = stored({ id: "m2", content: "Add the expired-link scenario" });

  it("updates the card where it was first written, and adds no second card", () => {
    let messages = threadReducer([], {
      type: "loaded",
      messages: [stored({}), { ...first, artifacts: [story(1)] }, ask],
    });
    messages = threadReducer(messages, {
      type: "sent",
      localId: "x",
      messageId: "m2",
      replyId: "r2",
      content: "Add the expired-link scenario",
    });
    for (const event of [
      ev("start"),
      ev("tool_call", {
        tool: "ArtifactGenerator",
        status: "executing",
        input: {
          artifact_type: "user_story",
          title: "Refunds, with expired links",
          artifact_id: "a1",
        },
      }),
      ev("artifact", {
        artifact_id: "a1",
        type: "user_story",
        title: "Refunds, with expired links",
        version: 2,
      }),
      ev("tool_result", {
        tool: "ArtifactGenerator",
        result_preview: "Saved version 2 of the user story “Refunds, with expired links”",
      }),
      ev("complete", { status: "complete" }),
    ]) {
      messages = threadReducer(messages, { type: "event", replyId: "r2", event });
    }
    const cards = messages.flatMap((m) =>
      m.parts.filter((part) => part.type === "artifact").map((part) => [m.id, part]),
    );
    expect(cards).toEqual([
      [
        "r1",
        {
          type: "artifact",
          id: "a1",
          kind: "user_story",
          title: "Refunds, with expired links",
          version: 2,
        },
      ],
    ]);
    const revising = messages.find((m) => m.id === "r2");
    expect(revising?.parts.map((part) => part.type)).toEqual(["tool"]);
  });

  it("looks the same after a reload: one card, the newest version", () => {
    const reply2 = stored({ id: "r2", role: "assistant", content: "Done.", reply_to: "m2" });
    const messages = threadReducer([], {
      type: "loaded",
      messages: [
        stored({}),
        { ...first, artifacts: [story(1, 2)] },
        ask,
        { ...reply2, artifacts: [story(2)] },
      ],
    });
    const cards = messages.flatMap((m) => m.parts.filter((part) => part.type === "artifact"));
    expect(cards).toEqual([
      {
        type: "artifact",
        id: "a1",
        kind: "user_story",
        title: "Refunds, with expired links",
        version: 2,
      },
    ]);
    expect(messages[1].parts.map((part) => part.type)).toEqual(["text", "artifact"]);
    expect(messages[3].parts.map((part) => part.type)).toEqual(["text"]);
  });

  it("revised within the reply that wrote it, keeps one card with the new version", () => {
    const message = play(reply(), [
      ev("start"),
      ev("artifact", { artifact_id: "a1", type: "user_story", title: "Refunds", version: 1 }),
      ev("artifact", { artifact_id: "a1", type: "user_story", title: "Refunds v2", version: 2 }),
    ]);
    expect(message.parts).toEqual([
      { type: "artifact", id: "a1", kind: "user_story", title: "Refunds v2", version: 2 },
    ]);
  });

  it("never goes back to an older version when events are replayed", () => {
    let messages = threadReducer([], {
      type: "loaded",
      messages: [{ ...first, artifacts: [story(1, 3)] }],
    });
    messages = threadReducer(messages, {
      type: "event",
      replyId: "r9",
      event: ev("artifact", { artifact_id: "a1", type: "user_story", title: "Old", version: 2 }),
    });
    expect(messages[0].parts.at(-1)).toMatchObject({ version: 3, title: "Refunds" });
  });
});
