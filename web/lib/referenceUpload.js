// @ts-check
// A similarity metric's reference uploaded into ComfyUI's input folder through
// ComfyUI's own POST /upload/image (multipart: image, subfolder, type), and
// named the way LoadImage's widget names files: "<subfolder>/<name> [input]".
// A posted config may name such a file (the server resolves it inside the
// input folder); a plain path needs COMFY_SWEEP_ALLOW_LOCAL_PATHS=1.
// Pure: fetchApi(route, init) -> Response is injected (node tests).
import { SweepApiError } from "./api.js";

export const UPLOAD_SUBFOLDER = "comfy-sweep";
/** What the file picker offers: the similarity metric compares images and videos. */
export const REFERENCE_ACCEPT = "image/*,video/*";

/**
 * The reference naming an uploaded file, from /upload/image's answer
 * `{name, subfolder, type}` (the name may differ from the file's: "ref (1).png").
 * @param {{name?: unknown, subfolder?: unknown, type?: unknown} | null} answer
 */
export function referenceFromUpload(answer) {
  const name = typeof answer?.name === "string" ? answer.name : "";
  if (!name) throw new SweepApiError(502, "upload_answer", "ComfyUI's upload answer names no file");
  const subfolder = typeof answer?.subfolder === "string" ? answer.subfolder : "";
  const type = typeof answer?.type === "string" && answer.type ? answer.type : "input";
  return `${subfolder ? `${subfolder}/` : ""}${name} [${type}]`;
}

/**
 * Upload `file` and return its reference. ComfyUI answers a refused upload
 * with a bare status (no error envelope), so the message names the file.
 * @param {(route: string, init: RequestInit) => Promise<Response>} fetchApi @param {File} file
 */
export async function uploadReference(fetchApi, file) {
  const body = new FormData();
  body.append("image", file, file.name);
  body.append("subfolder", UPLOAD_SUBFOLDER);
  body.append("type", "input");
  const res = await fetchApi("/upload/image", { method: "POST", body });
  if (!res.ok) {
    const why = `${res.status} ${res.statusText ?? ""}`.trim();
    throw new SweepApiError(res.status, "upload_refused", `ComfyUI refused the upload of ${file.name} (${why})`);
  }
  return referenceFromUpload(await res.json());
}
