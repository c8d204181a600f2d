import { useOnline } from "./useOnline";

export function OfflineBanner() {
  const online = useOnline();
  if (online) return null;
  return (
    <div className="offline-banner" role="status">
      <strong>Offline</strong> — what you write is kept and sent when the connection returns.
    </div>
  );
}
