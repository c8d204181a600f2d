import { lazy, Suspense } from "react";
import { Link } from "react-router";
import type { ArtifactPart, ChatMessage, Part } from "./messageState";
import { type ArtifactTitles, ToolActivity } from "./ToolActivity";

const Markdown = lazy(() => import("../../ui/Markdown"));

const ARTIFACT_KINDS: Record<string, string> = {
  user_story: "User story",
  acceptance_criteria: "Acceptance criteria",
  requirements_doc: "Requirements document",
  custom: "Document",
};

/** A deliverable; a later revision changes this card (its version) rather than adding one. */
function ArtifactCard({ part }: { part: ArtifactPart }) {
  return (
    <Link className="artifact-card" to={`/artifacts/${part.id}`}>
      <span className="artifact-kind">
        {ARTIFACT_KINDS[part.kind] ?? "Artifact"} ·{" "}
        <span className="artifact-version">v{part.version}</span>
      </span>
      <span className="artifact-title">{part.title}</span>
      <span className="artifact-open">Open artifact</span>
    </Link>
  );
}

function PartView({ part, titles }: { part: Part; titles: ArtifactTitles }) {
  switch (part.type) {
    case "text":
      return (
        <Suspense fallback={<p className="plain">{part.text}</p>}>
          <Markdown>{part.text}</Markdown>
        </Suspense>
      );
    case "tool":
      return <ToolActivity part={part} titles={titles} />;
    case "artifact":
      return <ArtifactCard part={part} />;
  }
}

export function MessageParts({
  message,
  titles,
}: {
  message: ChatMessage;
  titles: ArtifactTitles;
}) {
  return (
    <>
      {message.parts.map((part, index) => (
        // Parts only grow at the end, so their position is a stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <PartView key={index} part={part} titles={titles} />
      ))}
    </>
  );
}
