// POST /v1/collect: event batches from the browser module and server sources.
//
// Order of checks, cheapest first: origin, write key, per-IP rate, body size,
// JSON, batch size; then the core validates every event (the same code the
// browser runs), the per-session rate is charged for the good ones, and the
// good ones are enriched and handed to the queue in the background. The
// answer lists every event's fate by index, so the sender retries nothing
// that was refused for a reason a retry cannot fix.
//
// Replays: with TRACK_IN_SESSION (the default) every accepted event passes
// through its session's Durable Object first, whose core session remembers
// the last MAX_SEEN_EVENT_IDS (src/limits.rs) event ids of the session and
// refuses a repeat with DUPLICATE_EVENT. An id it has seen is acknowledged
// again ("accepted", `duplicate: true`) but neither tracked nor queued a
// second time, so a retried or replayed batch changes nothing. Beyond that
// window, and when a session object cannot be reached, delivery is at least
// once: every record carries its event id for consumers to de-duplicate.

import { HttpError, json } from "./http.js";
import { readJson } from "./limits.js";
import { validateEvents } from "./core.js";
import { sessionLimiter } from "./ratelimit.js";
import { hashUserId } from "./privacy.js";

/** Queue sendBatch limits: 100 messages and 256 KB per call (bytes kept below, with a margin). */
const QUEUE_BATCH_MESSAGES = 100;
const QUEUE_BATCH_BYTES = 200 * 1024;
/** What a queue message costs beyond its JSON body, estimated generously. */
const QUEUE_MESSAGE_OVERHEAD_BYTES = 64;

/** The events array of a body: `{ "events": [...] }` or a bare array. */
function eventsOf(body) {
  if (Array.isArray(body)) return body;
  if (body && typeof body === "object" && Array.isArray(body.events)) return body.events;
  throw new HttpError(400, "WRONG_TYPE", 'expected {"events": [...]} or an array of events');
}

/** Adds what only the edge knows; client-sent values for these are replaced. */
async function enrich(event, request, nowMs, salt) {
  const out = { ...event, receivedAt: nowMs };
  delete out.country;
  delete out.colo;
  const cf = request.cf;
  if (cf && typeof cf.country === "string") out.country = cf.country;
  if (cf && typeof cf.colo === "string") out.colo = cf.colo;
  if (salt && typeof out.userId === "string") out.userId = await hashUserId(out.userId, salt);
  return out;
}

/** Splits messages into sendBatch-sized groups (count and approximate bytes). */
function chunks(events) {
  const out = [];
  let cur = [];
  let bytes = 0;
  for (const ev of events) {
    const size = JSON.stringify(ev).length + QUEUE_MESSAGE_OVERHEAD_BYTES;
    if (cur.length === QUEUE_BATCH_MESSAGES || (cur.length > 0 && bytes + size > QUEUE_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push({ body: ev, contentType: "json" });
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Refuses user ids when no USER_ID_SALT is configured: without the salt the
 * raw id would reach the stream, so the event is rejected (with a reason the
 * sender can act on) rather than forwarded or silently changed.
 */
const USER_ID_REFUSED = {
  code: "USER_ID_NOT_ACCEPTED",
  message: "this collector does not accept userId (no salt configured); send the event without it",
};

/** Hands the events to the queue; a failed send is tried once more before it is logged. */
async function forward(env, events) {
  for (const batch of chunks(events)) {
    try {
      await env.EVENTS_QUEUE.sendBatch(batch);
    } catch (first) {
      console.warn("queue send failed, retrying once:", String(first));
      await env.EVENTS_QUEUE.sendBatch(batch);
    }
  }
}

/** The events grouped by session id, in order. */
function bySession(events) {
  const out = new Map();
  for (const ev of events) {
    if (typeof ev.sessionId !== "string") continue;
    const list = out.get(ev.sessionId) ?? [];
    list.push(ev);
    out.set(ev.sessionId, list);
  }
  return out;
}

/**
 * Tracks each session's events in its SessionDO, so edge decisions see them,
 * and returns the set of events its replay window has seen before. A session
 * object that fails reports no duplicates: its events are still delivered.
 */
async function trackInSessions(env, sessions) {
  const entries = [...sessions];
  const calls = entries.map(([sid, evs]) =>
    env.SESSIONS.get(env.SESSIONS.idFromName(sid)).track(sid, evs),
  );
  const results = await Promise.allSettled(calls);
  const duplicates = new Set();
  results.forEach((r, i) => {
    if (r.status === "rejected") {
      console.error("session track failed:", String(r.reason));
      return;
    }
    const evs = entries[i][1];
    for (const index of r.value.duplicates ?? []) {
      if (evs[index]) duplicates.add(evs[index]);
    }
  });
  return duplicates;
}

/** Tracks, then queues what the sessions had not seen; for background use. */
async function trackThenForward(env, sessions, accepted) {
  const duplicates = await trackInSessions(env, sessions);
  await forward(env, accepted.filter((ev) => !duplicates.has(ev)));
}

export async function collect(request, env, ctx, s) {
  const body = await readJson(request, s.maxBodyBytes);
  const events = eventsOf(body);
  if (events.length > s.maxEvents) {
    throw new HttpError(413, "TOO_LARGE", `a batch holds at most ${s.maxEvents} events`);
  }
  const nowMs = Date.now();
  let results;
  try {
    results = validateEvents(events, nowMs);
  } catch (err) {
    // A batch the core refuses as a whole (e.g. over its own batch limit).
    if (err && typeof err.code === "string") {
      throw new HttpError(err.code === "TOO_LARGE" ? 413 : 400, err.code, String(err.message));
    }
    throw err;
  }

  if (!s.userIdSalt) {
    results = results.map((r) => (r.ok && r.event.userId !== undefined ? { ok: false, error: USER_ID_REFUSED } : r));
  }

  // Per-session budget, charged in events, all or nothing for the request.
  const perSession = new Map();
  for (const r of results) {
    if (!r.ok) continue;
    const sid = typeof r.event.sessionId === "string" ? r.event.sessionId : "";
    perSession.set(sid, (perSession.get(sid) ?? 0) + 1);
  }
  const wait = sessionLimiter.take(
    [...perSession].map(([sid, cost]) => ({ key: "s:" + sid, cost })),
    { burst: s.rate.sessionBurst, perSecond: s.rate.sessionPerSecond, maxKeys: s.rate.maxKeys },
    nowMs,
  );
  if (wait > 0) {
    throw new HttpError(429, "RATE_LIMITED", "too many events for this session", {
      "retry-after": String(wait),
    });
  }

  const accepted = [];
  const out = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r.ok) {
      const ev = await enrich(r.event, request, nowMs, s.userIdSalt);
      accepted.push(ev);
      out.push({ index: i, status: "accepted", id: ev.id ?? null, event: ev });
    } else {
      const e = r.error ?? {};
      out.push({
        index: i,
        status: "rejected",
        error: { code: e.code ?? "INVALID_VALUE", path: e.path ?? "", message: e.message ?? "" },
      });
    }
  }

  let duplicates = 0;
  if (accepted.length > 0) {
    const send = (events) =>
      forward(env, events).catch((err) => console.error("queue send failed:", String(err)));
    if (!s.trackInSession) {
      ctx.waitUntil(send(accepted));
    } else {
      // A browser batch is one session: track it before answering, so the next
      // page render sees it and the answer can name replayed events. Batches
      // spanning many sessions (server-side sources) would wait on many
      // objects: those are tracked, then queued, in the background.
      const sessions = bySession(accepted);
      if (sessions.size <= 1) {
        const seen = await trackInSessions(env, sessions);
        duplicates = seen.size;
        for (const o of out) if (o.event && seen.has(o.event)) o.duplicate = true;
        ctx.waitUntil(send(accepted.filter((ev) => !seen.has(ev))));
      } else {
        ctx.waitUntil(
          trackThenForward(env, sessions, accepted).catch((err) => console.error("queue send failed:", String(err))),
        );
      }
    }
  }
  for (const o of out) delete o.event;
  return json({
    accepted: accepted.length,
    rejected: out.length - accepted.length,
    duplicates,
    results: out,
  });
}
