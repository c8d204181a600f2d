import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { getAccessToken, getUser, refreshSession, subscribe } from "../../api/session";

export type SessionState = "checking" | "signed-in" | "signed-out" | "unreachable";

/**
 * Whether someone is signed in. On a fresh page load the access token is gone (it was in
 * memory), so the session is restored from the refresh cookie first.
 */
export function useSession(): { state: SessionState; retry: () => void } {
  const token = useSyncExternalStore(subscribe, getAccessToken, getAccessToken);
  const [checked, setChecked] = useState<SessionState>(token ? "signed-in" : "checking");

  const restore = useCallback(() => {
    setChecked("checking");
    refreshSession().then((outcome) =>
      setChecked(
        outcome === "ok" ? "signed-in" : outcome === "signed-out" ? "signed-out" : "unreachable",
      ),
    );
  }, []);

  useEffect(() => {
    if (!getAccessToken()) restore();
  }, [restore]);

  useEffect(() => {
    if (checked !== "unreachable") return;
    window.addEventListener("online", restore);
    return () => window.removeEventListener("online", restore);
  }, [checked, restore]);

  if (token) return { state: "signed-in", retry: restore };
  if (checked === "signed-in") return { state: "signed-out", retry: restore };
  return { state: checked, retry: restore };
}

export function useUser() {
  return useSyncExternalStore(subscribe, getUser, getUser);
}
