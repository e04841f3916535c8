// POST /v1/decide: a server-side decision from the session's Durable Object.
//
// Body: { sessionId, slot, k?, context?, item?, exclude?, excludeCart?, excludePurchased?,
//         snapshot? (base64, seeds a session the edge has not seen yet),
//         includeSnapshot? (return the snapshot for hydration) }
// The decision request itself (slot, k, context, ...) is checked by the core.

import { HttpError, json } from "./http.js";
import { readJson } from "./limits.js";
import { sessionLimiter } from "./ratelimit.js";
import { fromBase64, toBase64 } from "./base64.js";

/** Longest session id (the Durable Object's name), as the core's MAX_ID_LEN. */
export const MAX_SESSION_ID = 128;
const DECIDE_FIELDS = ["slot", "k", "context", "item", "exclude", "excludeCart", "excludePurchased"];

const utf8 = new TextEncoder();

/**
 * The session id: the Durable Object's name, so it must be a sane string.
 * Its length is counted in UTF-8 bytes, as the core counts it: 100 "é" are
 * 100 UTF-16 units but 200 bytes, which the core would refuse inside the
 * session object (a 500) rather than here (a 400).
 */
export function sessionIdOf(body) {
  const sid = body && body.sessionId;
  if (sid === undefined || sid === null || sid === "") {
    throw new HttpError(400, "MISSING_FIELD", `sessionId is required: a string of 1 to ${MAX_SESSION_ID} bytes`);
  }
  if (typeof sid !== "string") {
    throw new HttpError(400, "WRONG_TYPE", `sessionId must be a string of 1 to ${MAX_SESSION_ID} bytes`);
  }
  if (sid.length > MAX_SESSION_ID || utf8.encode(sid).length > MAX_SESSION_ID) {
    throw new HttpError(400, "INVALID_VALUE", `sessionId must be at most ${MAX_SESSION_ID} bytes of UTF-8`);
  }
  return sid;
}

/** The SessionDO stub for a session id. */
export function sessionStub(env, sessionId) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(sessionId));
}

export async function decide(request, env, ctx, s) {
  const body = await readJson(request, s.maxBodyBytes);
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "WRONG_TYPE", "expected a JSON object");
  }
  const sessionId = sessionIdOf(body);
  const wait = sessionLimiter.take(
    [{ key: "s:" + sessionId, cost: 1 }],
    { burst: s.rate.sessionBurst, perSecond: s.rate.sessionPerSecond, maxKeys: s.rate.maxKeys },
    Date.now(),
  );
  if (wait > 0) {
    throw new HttpError(429, "RATE_LIMITED", "too many requests for this session", {
      "retry-after": String(wait),
    });
  }
  const req = {};
  for (const f of DECIDE_FIELDS) if (body[f] !== undefined) req[f] = body[f];
  if (typeof req.k === "number" && req.k > s.decideMaxK) req.k = s.decideMaxK;

  let snapshot = null;
  if (typeof body.snapshot === "string" && body.snapshot.length > 0) {
    snapshot = fromBase64(body.snapshot);
    if (snapshot === null) throw new HttpError(400, "SNAPSHOT_CORRUPT", "snapshot is not base64");
  }
  const res = await sessionStub(env, sessionId).decide(sessionId, req, {
    snapshot,
    withSnapshot: body.includeSnapshot === true,
  });
  if (res.error) {
    return json({ error: res.error }, res.error.code === "INTERNAL" ? 500 : 400);
  }
  const out = { ...res.decision, sessionId };
  if (res.snapshot) out.snapshot = toBase64(res.snapshot);
  return json(out);
}
