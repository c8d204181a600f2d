import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
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

  // Unreachable: try again when the device is back online, and every few seconds while it
  // says it is online (the "online" event can come before the network carries requests, or
  // the server may be the one that was down), waiting longer each time, up to 30 s.
  const attempts = useRef(0);
  useEffect(() => {
    if (checked === "signed-in" || checked === "signed-out") attempts.current = 0;
    if (checked !== "unreachable") return;
    const again = window.setTimeout(
      () => navigator.onLine && restore(),
      Math.min(2_000 * 2 ** attempts.current++, 30_000),
    );
    window.addEventListener("online", restore);
    return () => {
      window.clearTimeout(again);
      window.removeEventListener("online", restore);
    };
  }, [checked, restore]);

  if (token) return { state: "signed-in", retry: restore };
  if (checked === "signed-in") return { state: "signed-out", retry: restore };
  return { state: checked, retry: restore };
}

export function useUser() {
  return useSyncExternalStore(subscribe, getUser, getUser);
}
