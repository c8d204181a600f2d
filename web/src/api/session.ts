/**
 * The signed-in session. The access token lives in this module's memory only; the refresh
 * token is an HttpOnly cookie the server sets (web cookie mode), which no script can read.
 */

export type User = { id: string; email: string; name: string | null; avatar_url?: string | null };

type Listener = () => void;

let accessToken: string | null = null;
let currentUser: User | null = null;
let refreshing: Promise<RefreshOutcome> | null = null;
const listeners = new Set<Listener>();

export const COOKIE_DELIVERY = { "X-Token-Delivery": "cookie" } as const;

export type RefreshOutcome = "ok" | "signed-out" | "unreachable";

export function getAccessToken(): string | null {
  return accessToken;
}

export function getUser(): User | null {
  return currentUser;
}

export function setSession(token: string, user?: User | null): void {
  accessToken = token;
  if (user !== undefined) currentUser = user;
  notify();
}

export function clearSession(): void {
  accessToken = null;
  currentUser = null;
  notify();
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}

/** One refresh at a time: every request that met a 401 waits for the same one. */
export function refreshSession(): Promise<RefreshOutcome> {
  refreshing ??= doRefresh().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function doRefresh(): Promise<RefreshOutcome> {
  let response: Response;
  try {
    response = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: COOKIE_DELIVERY,
      credentials: "same-origin",
    });
  } catch {
    return "unreachable";
  }
  if (response.ok) {
    const body = (await response.json()) as { access_token: string; user?: User };
    accessToken = body.access_token;
    // The answer names the user, so a page opened afresh needs no second round trip.
    currentUser = body.user ?? currentUser ?? (await fetchMe());
    notify();
    return "ok";
  }
  if (response.status >= 500) return "unreachable";
  clearSession();
  return "signed-out";
}

async function fetchMe(): Promise<User | null> {
  const response = await fetch("/api/me", { headers: { Authorization: `Bearer ${accessToken}` } });
  return response.ok ? ((await response.json()) as User) : null;
}
