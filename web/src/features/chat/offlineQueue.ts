/**
 * Messages written while offline, kept per thread in localStorage until they are sent, so a
 * closed tab or a reload does not lose them. (Message text only: never a token.)
 */
export type Queued = { id: string; content: string };

const key = (threadId: string) => `ba.queue.${threadId}`;

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
