// Request body limits: Content-Length is checked before reading, and the
// bytes actually read are counted too, because a chunked body has no length
// and a client may lie about it.

import { HttpError } from "./http.js";

function tooLarge(max) {
  return new HttpError(413, "TOO_LARGE", `request body is larger than ${max} bytes`);
}

/** Reads the whole body as text, refusing more than `max` bytes. */
export async function readBodyText(request, max) {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!Number.isFinite(n) || n < 0) {
      throw new HttpError(400, "BAD_REQUEST", "invalid Content-Length");
    }
    if (n > max) throw tooLarge(max);
  }
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "INVALID_JSON", "request body is not UTF-8");
  }
}

/**
 * True when the request says its body is JSON: `application/json`, with any
 * parameters (charset). Everything else is refused before the body is read:
 * form posts and text/plain are the content types a browser sends across
 * origins without a preflight, and no client of this API sends them.
 */
export function isJsonContentType(header) {
  if (!header) return false;
  const media = header.split(";")[0].trim().toLowerCase();
  return media === "application/json";
}

/** Reads and parses a JSON body within `max` bytes. */
export async function readJson(request, max) {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as Content-Type: application/json");
  }
  const text = await readBodyText(request, max);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "INVALID_JSON", "request body is not valid JSON");
  }
}
