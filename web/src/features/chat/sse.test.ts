// @vitest-environment node
import { describe, expect, it } from "vitest";
import type { StreamEvent } from "./messageState";
import { followReply } from "./sse";

type Answer = { status?: number; body?: string[]; error?: boolean };

/** A server that answers each connection from a script, recording what was asked. */
function server(answers: Answer[]) {
  const asked: { lastEventId: string | null; accept: string | null }[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    asked.push({
      lastEventId: request.headers.get("Last-Event-ID"),
      accept: request.headers.get("Accept"),
    });
    const answer = answers.shift();
    if (!answer || answer.error) throw new TypeError("Failed to fetch");
    if (answer.status && answer.status !== 200)
      return new Response(null, { status: answer.status });
    const pieces = answer.body ?? [];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder();
        for (const piece of pieces) controller.enqueue(encoder.encode(piece));
        controller.close();
      },
    });
    return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
  };
  return { fetch, asked };
}

const event = (id: number, name: string, data: object) =>
  `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

function follow(answers: Answer[]) {
  const { fetch, asked } = server(answers);
  const events: StreamEvent[] = [];
  const statuses: string[] = [];
  const waits: number[] = [];
  const done = followReply({
    url: "http://app.test/api/threads/t/stream?message_id=m",
    signal: new AbortController().signal,
    fetch,
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { done, events, statuses, waits, asked };
}

describe("followReply", () => {
  it("parses events split anywhere across chunks, with comments between them", async () => {
    const whole = `${event(1, "start", { message_id: "r" })}: ping\n\n${event(2, "chunk", { content: "Hel" })}${event(3, "chunk", { content: "lo" })}${event(4, "complete", { status: "complete" })}`;
    const pieces = [whole.slice(0, 7), whole.slice(7, 50), whole.slice(50, 51), whole.slice(51)];
    const run = follow([{ body: pieces }]);
    expect(await run.done).toBe("finished");
    expect(run.events.map((e) => [e.id, e.event])).toEqual([
      [1, "start"],
      [2, "chunk"],
      [3, "chunk"],
      [4, "complete"],
    ]);
    expect(run.events[1].data).toEqual({ content: "Hel" });
    expect(run.asked[0]).toEqual({ lastEventId: null, accept: "text/event-stream" });
  });

  it("resumes after a dropped connection from the last event it received", async () => {
    const run = follow([
      { body: [event(1, "start", {}), event(2, "chunk", { content: "a" })] },
      { body: [event(3, "chunk", { content: "b" }), event(4, "complete", {})] },
    ]);
    expect(await run.done).toBe("finished");
    expect(run.asked.map((a) => a.lastEventId)).toEqual([null, "2"]);
    expect(run.events.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(run.statuses).toEqual(["live", "reconnecting", "live"]);
  });

  it("backs off 1, 2, 4 and 8 seconds, then gives up so the messages are reloaded", async () => {
    const run = follow([
      { error: true },
      { error: true },
      { error: true },
      { error: true },
      { error: true },
    ]);
    expect(await run.done).toBe("gave-up");
    expect(run.waits).toEqual([1000, 2000, 4000, 8000]);
    expect(run.asked).toHaveLength(5);
  });

  it("starts the backoff again once events flow", async () => {
    const run = follow([
      { error: true },
      { body: [event(1, "start", {})] },
      { error: true },
      { body: [event(2, "complete", {})] },
    ]);
    expect(await run.done).toBe("finished");
    expect(run.waits).toEqual([1000, 1000, 2000]);
    expect(run.asked.map((a) => a.lastEventId)).toEqual([null, null, "1", "1"]);
  });

  it("stops when the server says a client that saw the end has everything (204)", async () => {
    const run = follow([
      { body: [event(1, "start", {}), event(2, "complete", {})] },
      { status: 204 },
    ]);
    expect(await run.done).toBe("finished");
  });

  it("reads what is stored when a 204 comes before this client saw the end", async () => {
    // The server's replay of a finished reply numbers its events afresh: a client that
    // followed the live stream may hold a later id than the replay has.
    const run = follow([{ body: [event(1, "start", {})] }, { status: 204 }]);
    expect(await run.done).toBe("gave-up");
    expect(run.asked.map((a) => a.lastEventId)).toEqual([null, "1"]);
  });

  it("waits and tries again when the server is busy (429)", async () => {
    const run = follow([
      { status: 429 },
      { body: [event(1, "start", {}), event(2, "complete", {})] },
    ]);
    expect(await run.done).toBe("finished");
    expect(run.waits).toEqual([1000]);
  });

  it("gives up at once on a refusal such as 404", async () => {
    const run = follow([{ status: 404 }]);
    expect(await run.done).toBe("gave-up");
    expect(run.waits).toEqual([]);
  });

  it("ends quietly when the page stops following", async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await followReply({
      url: "/x",
      signal: controller.signal,
      onEvent: () => {},
      fetch: async () => {
        throw new Error("not called");
      },
    });
    expect(outcome).toBe("aborted");
  });
});
