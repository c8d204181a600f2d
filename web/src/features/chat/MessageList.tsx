import { useVirtualizer } from "@tanstack/react-virtual";
import { useLayoutEffect, useRef } from "react";
import { MessageParts } from "./MessageParts";
import type { ChatMessage } from "./messageState";
import type { ArtifactTitles } from "./ToolActivity";

type Props = {
  messages: ChatMessage[];
  titles: ArtifactTitles;
  onRetry: (reply: ChatMessage) => void;
};

const STATUS_NOTES: Partial<Record<ChatMessage["status"], string>> = {
  queued: "Queued — sends when you are back online",
  sending: "Sending…",
  cancelled: "Stopped",
  interrupted: "Interrupted: the server restarted while this was being written",
};

type ViewProps = { message: ChatMessage; titles: ArtifactTitles; onRetry: Props["onRetry"] };

function MessageView({ message, titles, onRetry }: ViewProps) {
  const writing = message.status === "streaming";
  return (
    <article
      className={`message ${message.role} ${message.status}`}
      aria-label={message.role === "user" ? "You" : "Assistant"}
      aria-busy={writing}
    >
      <MessageParts message={message} titles={titles} />
      {writing && message.parts.length === 0 ? (
        // What it is doing is said under the conversation; here, only that it has begun.
        <span className="reply-progress-dot" aria-hidden="true" />
      ) : null}
      {STATUS_NOTES[message.status] ? (
        <p className="status-note">{STATUS_NOTES[message.status]}</p>
      ) : null}
      {message.status === "error" ? (
        <p className="error" role="alert">
          {message.error ?? "This did not go through."}{" "}
          {message.role === "assistant" ? (
            <button type="button" onClick={() => onRetry(message)}>
              Retry
            </button>
          ) : null}
        </p>
      ) : null}
    </article>
  );
}

/**
 * The conversation, virtualised: only the messages on screen are in the page, so a thread of
 * thousands scrolls smoothly. It stays at the bottom while a reply streams, unless the
 * analyst has scrolled up to read.
 */
export function MessageList({ messages, titles, onRetry }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const virtualizer = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 140,
    overscan: 6,
    getItemKey: (index) => messages[index].id,
  });

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && atBottom.current && messages.length) {
      virtualizer.scrollToIndex(messages.length - 1, { align: "end" });
      element.scrollTop = element.scrollHeight;
    }
  });

  return (
    <div
      ref={scroller}
      className="messages"
      role="log"
      aria-label="Conversation"
      aria-live="off"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls with the keyboard
      tabIndex={0}
      onScroll={(event) => {
        const element = event.currentTarget;
        atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
      }}
    >
      <div className="messages-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            className="message-row"
            style={{ transform: `translateY(${item.start}px)` }}
          >
            <MessageView message={messages[item.index]} titles={titles} onRetry={onRetry} />
          </div>
        ))}
      </div>
    </div>
  );
}
