import createClient from "openapi-fetch";
import { authFetch } from "./authFetch";
import { ApiError, type ErrorBody } from "./errors";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** The typed API client generated from our OpenAPI (`make gen-client`). */
export const api = createClient<paths>({ baseUrl: "/", fetch: authFetch });

/** The data of an openapi-fetch result, or the server's error thrown as an ApiError. */
export async function data<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data: body, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error as Partial<ErrorBody> | undefined);
  return body as T;
}
