import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { errorMessage } from "../../api/errors";
import { continueAsLocalUser, providersQuery, providerUrl, redeemLoginCode } from "./queries";

const RETURN_KEY = "ba.returnTo";
const DEV_PROVIDER = "dev";

function safeReturn(path: string | null): string {
  // Only paths of this app: never another site. Browsers read a backslash or a tab after the
  // first slash as a second slash ("//evil"), so backslashes and control characters are refused.
  const unsafe = [...(path ?? "")].some((c) => c === "\\" || c.charCodeAt(0) < 0x20);
  if (!path?.startsWith("/") || unsafe) return "/projects";
  const target = new URL(path, window.location.origin);
  return target.origin === window.location.origin && !path.startsWith("//")
    ? target.pathname + target.search + target.hash
    : "/projects";
}

/**
 * What to say when a sign-in came back refused, by the server's error code. The server's own
 * description is not shown: anyone can link to this page with any text in it.
 */
const SIGN_IN_ERRORS: Record<string, string> = {
  access_denied: "Sign-in was cancelled. Choose a way to sign in to try again.",
  provider_unavailable:
    "That sign-in service can't be reached right now. Try again in a moment, or use another way to sign in.",
  provider_disabled: "That way of signing in was turned off. Choose another.",
  expired_state: "The sign-in took longer than 10 minutes. Start again.",
  invalid_state: "That sign-in link was already used or is unknown. Start again.",
  default: "Sign-in did not complete. Try again, or choose another way to sign in.",
};

function providerLabel(id: string, name: string): string {
  return id === DEV_PROVIDER ? "Continue as local user" : `Sign in with ${name}`;
}

export function SignInPage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const providers = useQuery(providersQuery());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const next = safeReturn(params.get("next"));

  // Back from a provider: #login_code=… or #error=…&error_description=…
  useEffect(() => {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const code = fragment.get("login_code");
    const failure = fragment.get("error");
    if (!code && !failure) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    if (failure) {
      setError(SIGN_IN_ERRORS[failure] ?? SIGN_IN_ERRORS.default);
      return;
    }
    if (code) {
      setBusy("code");
      redeemLoginCode(code)
        .then(() => {
          const back = safeReturn(sessionStorage.getItem(RETURN_KEY));
          sessionStorage.removeItem(RETURN_KEY);
          navigate(back, { replace: true });
        })
        .catch((reason) => {
          setError(`${errorMessage(reason)} Sign in again.`);
          setBusy(null);
        });
    }
  }, [navigate]);

  async function start(id: string) {
    setError(null);
    setBusy(id);
    try {
      if (id === DEV_PROVIDER) {
        await continueAsLocalUser();
        navigate(next, { replace: true });
        return;
      }
      sessionStorage.setItem(RETURN_KEY, next);
      window.location.assign(await providerUrl(id));
    } catch (reason) {
      setError(errorMessage(reason));
      setBusy(null);
    }
  }

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <img src="/icons/icon.svg" alt="" width="56" height="56" />
        <h1>BA Assistant</h1>
        <p>Explore feature ideas, search your documents and write user stories with AI help.</p>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
        {providers.isPending ? <p>Loading sign-in options…</p> : null}
        {providers.isError ? (
          <p role="alert" className="error">
            {errorMessage(providers.error)}{" "}
            <button type="button" onClick={() => providers.refetch()}>
              Retry
            </button>
          </p>
        ) : null}
        <div className="provider-buttons">
          {providers.data?.providers.map((provider) => (
            <button
              key={provider.id}
              type="button"
              className={provider.id === DEV_PROVIDER ? "" : "primary"}
              disabled={busy !== null}
              onClick={() => start(provider.id)}
            >
              {providerLabel(provider.id, provider.name)}
            </button>
          ))}
          {providers.data?.providers.length === 0 ? (
            <p>No sign-in method is set up on this server. Ask its administrator.</p>
          ) : null}
        </div>
      </div>
    </main>
  );
}
