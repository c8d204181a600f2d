import { lazy, Suspense } from "react";
import { Link } from "react-router";
import type { ArtifactPart, ChatMessage, Part, ToolPart } from "./messageState";

const Markdown = lazy(() => import("../../ui/Markdown"));

const ARTIFACT_KINDS: Record<string, string> = {
  user_story: "User story",
  acceptance_criteria: "Acceptance criteria",
  requirements_doc: "Requirements document",
  custom: "Document",
};

function quoted(value: unknown): string {
  return typeof value === "string" && value ? `“${value}”` : "";
}

function ToolActivity({ part }: { part: ToolPart }) {
  const running = part.status === "running";
  let label: string;
  switch (part.tool) {
    case "DocumentSearch":
      label = `${running ? "Searching" : "Searched"} documents for ${quoted(part.input.query)}`;
      break;
    case "ArtifactGenerator":
      label = `${running ? "Writing" : "Wrote"} ${quoted(part.input.title) || "an artifact"}`;
      break;
    case "ThreadSummarizer":
      label = running ? "Summarising the thread" : "Summarised the thread";
      break;
    default:
      label = `${running ? "Using" : "Used"} ${part.tool}`;
  }
  return (
    <p className={running ? "tool running" : "tool"}>
      <span aria-hidden="true">{running ? "⏳" : "🔎"}</span> {label}
      {running ? "…" : part.preview ? ` — ${part.preview}` : ""}
    </p>
  );
}

function ArtifactCard({ part }: { part: ArtifactPart }) {
  return (
    <Link className="artifact-card" to={`/artifacts/${part.id}`}>
      <span className="artifact-kind">{ARTIFACT_KINDS[part.kind] ?? "Artifact"}</span>
      <span className="artifact-title">{part.title}</span>
      <span className="artifact-open">Open artifact</span>
    </Link>
  );
}

function PartView({ part }: { part: Part }) {
  switch (part.type) {
    case "text":
      return (
        <Suspense fallback={<p className="plain">{part.text}</p>}>
          <Markdown>{part.text}</Markdown>
        </Suspense>
      );
    case "tool":
      return <ToolActivity part={part} />;
    case "artifact":
      return <ArtifactCard part={part} />;
  }
}

export function MessageParts({ message }: { message: ChatMessage }) {
  return (
    <>
      {message.parts.map((part, index) => (
        // Parts only grow at the end, so their position is a stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <PartView key={index} part={part} />
      ))}
    </>
  );
}
