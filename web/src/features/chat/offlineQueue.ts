/**
 * Messages written while offline, kept per person and thread in localStorage until they are
 * sent, so a closed tab or a reload does not lose them. (Message text only: never a token.)
 * Someone else signing in on the same device never sees them, and signing out or deleting
 * the account removes them.
 */
import { getUser } from "../../api/session";

export type Queued = { id: string; content: string };

const PREFIX = "ba.queue.";
const key = (threadId: string) => `${PREFIX}${getUser()?.id ?? "unknown"}.${threadId}`;

/** Everything queued on this device, whoever wrote it: at sign-out and account deletion. */
export function clearQueues(): void {
  for (const name of Object.keys(localStorage)) {
    if (name.startsWith(PREFIX)) localStorage.removeItem(name);
  }
}

export function readQueue(threadId: string): Queued[] {
  try {
    const stored = JSON.parse(localStorage.getItem(key(threadId)) ?? "[]");
    return Array.isArray(stored) ? stored : [];
  } catch {
    return [];
  }
}

export function enqueue(threadId: string, item: Queued): void {
  localStorage.setItem(key(threadId), JSON.stringify([...readQueue(threadId), item]));
}

export function dequeue(threadId: string, id: string): void {
  const rest = readQueue(threadId).filter((item) => item.id !== id);
  if (rest.length) localStorage.setItem(key(threadId), JSON.stringify(rest));
  else localStorage.removeItem(key(threadId));
}
