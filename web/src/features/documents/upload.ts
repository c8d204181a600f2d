import { ApiError, type ErrorBody } from "../../api/errors";
import { getAccessToken, refreshSession } from "../../api/session";

/**
 * Uploads one file as multipart, reporting progress (fetch cannot report upload progress,
 * XMLHttpRequest can). A 401 gets one refresh and one retry, like every other request.
 */
export async function uploadDocument(
  projectId: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<void> {
  const first = await send(projectId, file, onProgress);
  if (first.status === 401 && (await refreshSession()) === "ok") {
    return settle(await send(projectId, file, onProgress));
  }
  return settle(first);
}

type Outcome = { status: number; body: Partial<ErrorBody> | undefined };

function settle({ status, body }: Outcome): void {
  if (status < 200 || status >= 300) throw new ApiError(status, body);
}

function send(projectId: string, file: File, onProgress: (fraction: number) => void) {
  return new Promise<Outcome>((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/projects/${encodeURIComponent(projectId)}/documents`);
    const token = getAccessToken();
    if (token) request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      let body: Partial<ErrorBody> | undefined;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = undefined;
      }
      resolve({ status: request.status, body });
    };
    request.onerror = () => resolve({ status: 0, body: undefined });
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}
