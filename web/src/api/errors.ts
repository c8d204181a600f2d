/** The server's one error body (DESIGN.md), as an Error the screens can show. */
export type ErrorBody = {
  error: string;
  message: string;
  details?: Record<string, unknown>;
  request_id?: string;
  retry_after?: number;
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, body: Partial<ErrorBody> | undefined) {
    super(body?.message ?? describeStatus(status));
    this.status = status;
    this.code = body?.error ?? "http_error";
    this.details = body?.details ?? {};
  }
}

function describeStatus(status: number): string {
  if (status === 0) return "Could not reach the server. Check your connection and try again.";
  if (status >= 500) return "The server had a problem. Try again in a moment.";
  return `The request failed (${status}).`;
}

/** What to tell a person about any failure, with what to do next. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) {
    return "Could not reach the server. Check your connection and try again.";
  }
  return error instanceof Error ? error.message : "Something went wrong. Try again.";
}
