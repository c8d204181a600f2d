import { queryOptions } from "@tanstack/react-query";
import { api, data } from "../../api/client";
import { ApiError } from "../../api/errors";
import { COOKIE_DELIVERY, clearSession, setSession, type User } from "../../api/session";
import { clearQueues } from "../chat/offlineQueue";

export const providersQuery = () =>
  queryOptions({
    queryKey: ["auth", "providers"],
    queryFn: () => data(api.GET("/api/auth/providers")),
    staleTime: 5 * 60_000,
  });

export const usageQuery = () =>
  queryOptions({
    queryKey: ["me", "usage"],
    queryFn: () => data(api.GET("/api/me/usage")),
  });

type SignedIn = { access_token: string; user?: User };

function begin(body: SignedIn): User | null {
  setSession(body.access_token, body.user ?? null);
  return body.user ?? null;
}

export async function continueAsLocalUser(): Promise<User | null> {
  const body = await data(
    api.POST("/api/auth/dev-login", {
      body: { email: "analyst@example.com", name: "Local analyst" },
      headers: COOKIE_DELIVERY,
    }),
  );
  return begin(body as SignedIn);
}

export async function redeemLoginCode(loginCode: string): Promise<User | null> {
  const body = await data(
    api.POST("/api/auth/token", { body: { login_code: loginCode }, headers: COOKIE_DELIVERY }),
  );
  return begin(body as SignedIn);
}

/** The provider's page to sign in on; it sends the browser back to `/sign-in`. */
export async function providerUrl(provider: string): Promise<string> {
  const body = await data(
    api.POST("/api/auth/oauth/{provider}", {
      params: { path: { provider } },
      body: { redirect_uri: "/sign-in" },
    }),
  );
  return body.auth_url;
}

export async function signOut(): Promise<void> {
  try {
    await fetch("/api/auth/logout", {
      method: "POST",
      headers: COOKIE_DELIVERY,
      credentials: "same-origin",
    });
  } finally {
    clearQueues();
    clearSession();
  }
}

export async function deleteAccount(): Promise<void> {
  const { response, error } = await api.DELETE("/api/me");
  if (!response.ok) throw new ApiError(response.status, error as undefined);
  clearQueues();
  clearSession();
}
