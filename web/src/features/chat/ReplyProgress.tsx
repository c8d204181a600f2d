import type { Activity, ChatMessage } from "./messageState";
import { type ArtifactTitles, toolLabel } from "./ToolActivity";

const ACTIVITIES: Record<Activity, string> = {
  searching: "Searching the documents…",
  thinking: "Thinking…",
  writing: "Writing…",
};

/**
 * What a reply is doing right now, in a few words, or "" once it has ended. Never silent
 * while it is being written: between two tool calls, or before the server says anything,
 * the reply is thinking.
 */
export function progressLabel(message: ChatMessage | undefined, titles: ArtifactTitles): string {
  if (message?.status !== "streaming") return "";
  if (message.activity) return ACTIVITIES[message.activity];
  const running = message.parts.findLast(
    (part) => part.type === "tool" && part.status === "running",
  );
  if (running?.type === "tool") return `${toolLabel(running, titles)}…`;
  if (message.parts.at(-1)?.type === "text") return "Writing the reply…";
  return "Thinking…";
}

type Props = { reply: ChatMessage | undefined; finished: boolean; titles: ArtifactTitles };

/**
 * The line under the conversation that says what the reply is doing, and a polite live
 * region: the conversation log itself is not live (every word would be read out), so this is
 * what a screen reader hears, once per change, and "The reply is complete." at the end.
 */
export function ReplyProgress({ reply, finished, titles }: Props) {
  const label = progressLabel(reply, titles);
  return (
    <p className="reply-progress" role="status" aria-label="Assistant activity">
      {label ? (
        <>
          <span className="reply-progress-dot" aria-hidden="true" />
          {label}
        </>
      ) : finished ? (
        <span className="visually-hidden">The reply is complete.</span>
      ) : null}
    </p>
  );
}
