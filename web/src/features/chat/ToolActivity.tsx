import { Link } from "react-router";
import type { Passage, ToolPart } from "./messageState";

/** The thread's artifact titles by id: a tool's input names an artifact by its id only. */
export type ArtifactTitles = ReadonlyMap<string, string>;

function quoted(value: unknown): string {
  return typeof value === "string" && value ? `“${value}”` : "";
}

const artifactId = (part: ToolPart) =>
  typeof part.input.artifact_id === "string" ? part.input.artifact_id : "";

/** What the tool does or did, in words: "Searching documents for “refund window”". */
export function toolLabel(part: ToolPart, titles: ArtifactTitles): string {
  const running = part.status === "running";
  switch (part.tool) {
    case "DocumentSearch": {
      const query = quoted(part.input.query);
      return `${running ? "Searching" : "Searched"} documents${query ? ` for ${query}` : ""}`;
    }
    case "ArtifactGenerator": {
      const title = quoted(part.input.title) || "an artifact";
      if (artifactId(part)) return `${running ? "Revising" : "Revised"} ${title}`;
      return `${running ? "Writing" : "Wrote"} ${title}`;
    }
    case "ArtifactReader": {
      const title = quoted(titles.get(artifactId(part))) || "an artifact";
      return `${running ? "Reading" : "Read"} ${title}`;
    }
    case "ThreadSummarizer":
      return running ? "Summarising the thread" : "Summarised the thread";
    default:
      return `${running ? "Using" : "Used"} ${part.tool}`;
  }
}

/** The finished tool's line: its label and what it found ("… — Found 3 passages"). */
function doneLine(part: ToolPart, titles: ArtifactTitles): string {
  // The server's "Read version 2 of “Refunds”" says it all, version included.
  if (part.tool === "ArtifactReader" && part.preview?.startsWith("Read ")) return part.preview;
  const label = toolLabel(part, titles);
  return part.preview ? `${label} — ${part.preview}` : label;
}

type Cited = { documentId: string; documentName: string; passages: number[] };

/** The passages by document, in the order found: "refund-policy.md · passages 1, 3". */
function byDocument(passages: Passage[]): Cited[] {
  const documents = new Map<string, Cited>();
  for (const { documentId, documentName, passage } of passages) {
    const cited = documents.get(documentId) ?? { documentId, documentName, passages: [] };
    if (!cited.passages.includes(passage)) cited.passages.push(passage);
    documents.set(documentId, cited);
  }
  return [...documents.values()];
}

/**
 * Where a search's passages come from, on one wrapping line, and their words (when the server
 * sends them) folded away, so a reply's sources are at hand without flooding the chat.
 */
function Sources({ passages }: { passages: Passage[] }) {
  // The app has no page of its own for a document yet, so the sources are named, not linked.
  const quoted = passages.filter((p) => p.excerpt);
  return (
    <div className="sources">
      <ul className="citations" aria-label="Passages found">
        {byDocument(passages).map((cited) => (
          <li key={cited.documentId}>
            {cited.documentName} · {cited.passages.length === 1 ? "passage " : "passages "}
            {cited.passages.join(", ")}
          </li>
        ))}
      </ul>
      {quoted.length ? (
        <details className="excerpts">
          <summary>Show what was found</summary>
          <ul>
            {quoted.map((p) => (
              <li key={`${p.documentId}:${p.passage}`}>
                <cite>
                  {p.documentName}, passage {p.passage}
                </cite>
                <q>{p.excerpt}</q>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}

const ICONS: Record<string, string> = {
  DocumentSearch: "🔎",
  ArtifactGenerator: "📝",
  ArtifactReader: "📄",
  ThreadSummarizer: "🧾",
};

export function ToolActivity({ part, titles }: { part: ToolPart; titles: ArtifactTitles }) {
  const running = part.status === "running";
  // A revision updates the artifact's card where it was first written, maybe far above.
  const revised = part.tool === "ArtifactGenerator" && !running && artifactId(part);
  return (
    <div className="tool-activity">
      <p className={running ? "tool running" : "tool"}>
        <span aria-hidden="true">{running ? "⏳" : (ICONS[part.tool] ?? "🔧")}</span>{" "}
        {running ? `${toolLabel(part, titles)}…` : doneLine(part, titles)}
        {revised && part.preview?.startsWith("Saved") ? (
          <>
            {" · "}
            <Link to={`/artifacts/${artifactId(part)}`}>Open the new version</Link>
          </>
        ) : null}
      </p>
      {part.passages?.length ? <Sources passages={part.passages} /> : null}
    </div>
  );
}
