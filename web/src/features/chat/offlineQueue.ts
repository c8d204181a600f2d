/**
 * Messages written while offline, kept per person and thread in localStorage until they are
 * sent, so a closed tab or a reload does not lose them. (Message text only: never a token.)
 * Someone else signing in on the same device never sees them, and signing out or deleting
 * the account removes them.
 *
 * Each keeps the `clientMessageId` it was given when written, and every attempt to send it
 * carries that key: the server stores a message once per key, however often it is sent (a
 * retry after a lost answer, a reload mid-send, a second tab flushing the same queue).
 */
import { getUser } from "../../api/session";

export type Queued = { id: string; content: string; clientMessageId: string };

const PREFIX = "ba.queue.";
const key = (threadId: string) => `${PREFIX}${getUser()?.id ?? "unknown"}.${threadId}`;

/** A message just written: its local id and the key every attempt to send it carries. */
export function composed(content: string): Queued {
  const clientMessageId = crypto.randomUUID();
  return { id: `local-${clientMessageId}`, content, clientMessageId };
}

/** Everything queued on this device, whoever wrote it: at sign-out and account deletion. */
export function clearQueues(): void {
  for (const name of Object.keys(localStorage)) {
    if (name.startsWith(PREFIX)) localStorage.removeItem(name);
  }
}

function isItem(item: unknown): item is Partial<Queued> & { id: string; content: string } {
  if (typeof item !== "object" || item === null) return false;
  const { id, content } = item as Record<string, unknown>;
  return typeof id === "string" && typeof content === "string";
}

export function readQueue(threadId: string): Queued[] {
  let stored: unknown;
  try {
    stored = JSON.parse(localStorage.getItem(key(threadId)) ?? "[]");
  } catch {
    return [];
  }
  if (!Array.isArray(stored)) return [];
  const items = stored.filter(isItem);
  if (items.every((item) => typeof item.clientMessageId === "string")) return items as Queued[];
  // Queued by an earlier version of the app, without a key: given one now, and kept, so that
  // every later attempt sends the same.
  const keyed = items.map((item) =>
    typeof item.clientMessageId === "string"
      ? (item as Queued)
      : { id: item.id, content: item.content, clientMessageId: crypto.randomUUID() },
  );
  localStorage.setItem(key(threadId), JSON.stringify(keyed));
  return keyed;
}

export function enqueue(threadId: string, item: Queued): void {
  localStorage.setItem(key(threadId), JSON.stringify([...readQueue(threadId), item]));
}

export function dequeue(threadId: string, id: string): void {
  const rest = readQueue(threadId).filter((item) => item.id !== id);
  if (rest.length) localStorage.setItem(key(threadId), JSON.stringify(rest));
  else localStorage.removeItem(key(threadId));
}
