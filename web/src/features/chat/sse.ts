/**
 * Follows a reply's server-sent events over fetch, so the request carries the bearer token
 * (EventSource cannot send headers). A dropped connection is resumed with Last-Event-ID
 * after 1, 2, 4 and 8 seconds; after that the caller reloads the messages instead.
 */
import { createParser } from "eventsource-parser";
import type { StreamEvent } from "./messageState";

export const RECONNECT_DELAYS_MS = [1000, 2000, 4000, 8000];

export type FollowStatus = "live" | "reconnecting";
export type FollowOutcome = "finished" | "gave-up" | "aborted";

export type FollowOptions = {
  url: string;
  signal: AbortSignal;
  onEvent: (event: StreamEvent) => void;
  onStatus?: (status: FollowStatus) => void;
  fetch?: (request: Request) => Promise<Response>;
  delays?: number[];
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
};

const FINAL = new Set(["complete", "error"]);

class Refused extends Error {}

export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export async function followReply(options: FollowOptions): Promise<FollowOutcome> {
  const { url, signal, onEvent } = options;
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const delays = options.delays ?? RECONNECT_DELAYS_MS;
  const sleep = options.sleep ?? pause;
  let lastId: number | null = null;
  let failures = 0;
  let sawFinal = false;

  while (!signal.aborted) {
    let finished = false;
    try {
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      if (lastId !== null) headers["Last-Event-ID"] = String(lastId);
      const response = await send(new Request(url, { headers, signal }));
      // Nothing after Last-Event-ID. Without the final event this client may have missed the
      // end (the server's replay of a finished reply numbers its events afresh): reload.
      if (response.status === 204) return sawFinal ? "finished" : "gave-up";
      // Busy or timed out: like a dropped connection, try again after the next delay.
      if (response.status === 408 || response.status === 429) throw new Error("stream busy");
      if (response.status >= 400 && response.status < 500) throw new Refused();
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      options.onStatus?.("live");
      const parser = createParser({
        onEvent(message) {
          const id = Number(message.id);
          if (Number.isFinite(id)) lastId = id;
          failures = 0;
          const event = message.event ?? "message";
          onEvent({ id, event, data: JSON.parse(message.data) });
          if (FINAL.has(event)) {
            finished = true;
            sawFinal = true;
          }
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      while (!finished) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
      if (finished) {
        await reader.cancel().catch(() => {});
        return "finished";
      }
    } catch (error) {
      if (signal.aborted) return "aborted";
      if (error instanceof Refused) return "gave-up";
    }
    if (signal.aborted) return "aborted";
    if (failures >= delays.length) return "gave-up";
    options.onStatus?.("reconnecting");
    await sleep(delays[failures], signal);
    failures += 1;
  }
  return "aborted";
}
