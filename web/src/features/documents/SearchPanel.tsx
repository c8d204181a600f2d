import { useQuery } from "@tanstack/react-query";
import { useDeferredValue, useEffect, useState } from "react";
import type { Schemas } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { searchQuery } from "./queries";

type Result = Pick<Schemas["SearchResult"], "snippet"> & { highlights: number[][] };

/** The snippet with the server's highlighted ranges in <mark>. */
export function Snippet({ result }: { result: Result }) {
  const pieces: React.ReactNode[] = [];
  let at = 0;
  for (const [start, end] of [...result.highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    pieces.push(result.snippet.slice(at, start));
    pieces.push(<mark key={start}>{result.snippet.slice(start, end)}</mark>);
    at = end;
  }
  pieces.push(result.snippet.slice(at));
  return <p className="snippet">{pieces}</p>;
}

function useDebounced(value: string, delay: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delay);
    return () => window.clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

export function SearchPanel({ projectId }: { projectId: string }) {
  const [text, setText] = useState("");
  const q = useDeferredValue(useDebounced(text.trim(), 250));
  const search = useQuery(searchQuery(projectId, q));
  return (
    <section className="section search" aria-label="Search documents">
      <search>
        <input
          type="search"
          aria-label="Search documents"
          placeholder="Search documents"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
      </search>
      {q && search.isFetching && !search.data ? <p>Searching…</p> : null}
      {search.isError ? (
        <p role="alert" className="error">
          {errorMessage(search.error)}
        </p>
      ) : null}
      {q && search.data ? (
        search.data.results.length ? (
          <ol className="results" aria-label="Search results">
            {search.data.results.map((result) => (
              <li key={`${result.document_id}-${result.chunk_index}`}>
                <p className="result-source">
                  {result.document_name} · passage {result.chunk_index + 1}
                </p>
                <Snippet result={result} />
              </li>
            ))}
          </ol>
        ) : (
          <p className="empty">Nothing in this project's documents matches “{q}”.</p>
        )
      ) : null}
    </section>
  );
}
