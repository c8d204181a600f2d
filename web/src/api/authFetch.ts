import { clearSession, getAccessToken, refreshSession } from "./session";

/** Called when the session is over: the app goes to sign-in and comes back afterwards. */
let onSignedOut: () => void = () => {};

export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

function withToken(request: Request): Request {
  const token = getAccessToken();
  const authorised = new Request(request);
  if (token) authorised.headers.set("Authorization", `Bearer ${token}`);
  return authorised;
}

/**
 * fetch with the access token; a 401 triggers one refresh and one retry. A failed refresh
 * ends the session (the sign-in page brings the person back to where they were).
 */
export async function authFetch(input: Request): Promise<Response> {
  const spare = input.clone();
  const response = await fetch(withToken(input));
  if (response.status !== 401 || new URL(input.url).pathname.startsWith("/api/auth/")) {
    return response;
  }
  const outcome = await refreshSession();
  if (outcome === "ok") return fetch(withToken(spare));
  if (outcome === "signed-out") {
    clearSession();
    onSignedOut();
  }
  return response;
}
