import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useId, useRef, useState } from "react";
import { useNavigate } from "react-router";
import type { Schemas } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { ConfirmDialog } from "../../ui/Dialog";
import { useDismiss } from "../../ui/useDismiss";
import { deleteAccount, signOut, usageQuery } from "./queries";
import { useUser } from "./useSession";

const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const count = new Intl.NumberFormat();

/** A period's usage; `cost_usd` null when nothing of it could be priced. */
type Period = Omit<Schemas["UsagePeriod"], "cost_usd"> & { cost_usd: number | null };

/**
 * "1,200 tokens · $0.04", or "cost unknown" for tokens of a model with no known price (a
 * local one, say): an unknown cost is never shown as $0.
 */
export function usageText({ tokens, cost_usd: cost, unpriced_tokens: unpriced = 0 }: Period) {
  const used = `${count.format(tokens)} tokens`;
  const priced =
    cost === null
      ? null
      : cost > 0 && cost < 0.01
        ? `under ${money.format(0.01)}`
        : money.format(cost);
  if (unpriced <= 0 && priced !== null) return `${used} · ${priced}`;
  if (priced === null || cost === 0) {
    const some =
      unpriced > 0 && unpriced < tokens ? ` (${count.format(unpriced)} tokens unpriced)` : "";
    return `${used} · cost unknown${some}`;
  }
  return `${used} · ${priced} + cost unknown for ${count.format(unpriced)} tokens`;
}

function Usage() {
  const usage = useQuery(usageQuery());
  if (usage.isPending) return <p>Loading usage…</p>;
  if (usage.isError) return <p className="error">Usage is unavailable right now.</p>;
  const { today, month, daily_token_limit: limit } = usage.data;
  return (
    <dl className="usage">
      <dt>Today</dt>
      <dd>
        {usageText(today)}
        {limit ? ` (of ${count.format(limit)} a day)` : ""}
      </dd>
      <dt>This month</dt>
      <dd>{usageText(month)}</dd>
    </dl>
  );
}

/** The account button: usage, sign out, delete account. */
export function AccountMenu() {
  const user = useUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const closeMenu = useCallback(() => setOpen(false), []);

  // Escape in the confirmation dialog closes that dialog only.
  useDismiss(open, closeMenu, root, button, confirming);

  async function leave(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      queryClient.clear();
      navigate("/sign-in", { replace: true });
    } catch (reason) {
      setError(errorMessage(reason));
      setBusy(false);
    }
  }

  const initial = (user?.name || user?.email || "?").slice(0, 1).toUpperCase();
  return (
    <div className="account" ref={root}>
      <button
        ref={button}
        type="button"
        className="account-button"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label="Account"
        onClick={() => setOpen((value) => !value)}
      >
        <span aria-hidden="true">{initial}</span>
      </button>
      {open ? (
        <section id={menuId} className="account-menu" aria-label="Account">
          <p className="account-name">
            <strong>{user?.name || "Signed in"}</strong>
            <br />
            <span>{user?.email}</span>
          </p>
          <h2>AI usage</h2>
          <Usage />
          <div className="account-actions">
            <button type="button" onClick={() => leave(signOut)} disabled={busy}>
              Sign out
            </button>
            <button type="button" className="danger-link" onClick={() => setConfirming(true)}>
              Delete account
            </button>
          </div>
        </section>
      ) : null}
      <ConfirmDialog
        open={confirming}
        title="Delete your account?"
        message="This deletes your account and every project, document, thread and artifact in it. It cannot be undone."
        confirmLabel="Delete account"
        busy={busy}
        error={error}
        onConfirm={() => leave(deleteAccount)}
        onClose={() => setConfirming(false)}
      />
    </div>
  );
}
