// Small HTTP helpers shared by the routes: JSON answers and errors that carry
// a stable code and a message meant for the caller, never internals.

/** An error that becomes an HTTP answer: status, stable code, safe message. */
export class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A JSON response with no-store caching unless the caller says otherwise. */
export function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/** The error body every route uses: `{ error: { code, message } }`. */
export function errorResponse(status, code, message, headers = {}) {
  return json({ error: { code, message } }, status, headers);
}

/**
 * Turns anything thrown into a response. HttpErrors keep their code and
 * message; everything else is logged here and answered with a generic 500, so
 * stack traces, binding names and upstream answers never reach the caller.
 */
export function toResponse(err) {
  if (err instanceof HttpError) {
    return errorResponse(err.status, err.code, err.message, err.headers);
  }
  console.error("internal error:", err && err.stack ? err.stack : String(err));
  return errorResponse(500, "INTERNAL", "internal error");
}
