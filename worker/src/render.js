// Edge rendering: storefront HTML passes through the Worker, which fills every
// element marked `data-ep-slot="<slot>"` (optional `data-ep-k="<n>"`) with
// the session's decided items and embeds the session snapshot, so the page's
// module continues the same session without a second decision round trip:
//
//   <script type="application/json" id="ep-snapshot">
//     {"v":1,"sessionId":"s-..","snapshot":"<base64>","decisions":[{slot,decisionId,items,...}]}
//   </script>
//
// Pages come from STOREFRONT_ORIGIN when set (the demo's static storefront),
// else from the bundled fixture page. When a decision fails the slot keeps
// its static default content: a page never breaks because personalization did.

import bundledPage from "../fixtures/storefront.html";
import { MAX_SESSION_ID, sessionStub } from "./decide.js";
import { toBase64 } from "./base64.js";
import { HttpError } from "./http.js";
import { clientIp, ipLimiter } from "./ratelimit.js";

export const SESSION_COOKIE = "ep_sid";
const DEFAULT_K = 4;
const SID_RE = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_SESSION_ID}}$`);
/** How long the session cookie lives; the core starts a new session after 30 idle minutes anyway. */
const SESSION_COOKIE_MAX_AGE_SECONDS = 24 * 3600;

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element (no `</script>`, no `<!--`). */
function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** The markup for a decided item list. */
export function itemsHtml(items) {
  return items
    .map((it) => {
      const id = escapeHtml(it.id);
      const reasons = escapeHtml((it.reasons ?? []).join(" "));
      return `<a class="ep-item" href="/p/${encodeURIComponent(it.id)}" data-ep-item="${id}" data-ep-reasons="${reasons}">${id}</a>`;
    })
    .join("");
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return "";
  }
}

function cookieValue(request, name) {
  const header = request.headers.get("cookie") ?? "";
  for (const part of header.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return null;
}

/** A new session id: "s-" and 128 random bits in base32. */
function newSessionId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  let out = "s-";
  for (const b of bytes) out += alphabet[b & 31] + alphabet[b >> 5];
  return out;
}

async function upstream(request, s, url) {
  if (s.storefrontOrigin) {
    // Only content negotiation goes upstream: no cookies, no client address.
    const headers = new Headers();
    for (const h of ["accept", "accept-language"]) {
      const v = request.headers.get(h);
      if (v) headers.set(h, v);
    }
    try {
      return await fetch(s.storefrontOrigin + url.pathname + url.search, { headers, redirect: "manual" });
    } catch (err) {
      console.error("storefront fetch failed:", String(err));
      throw new HttpError(502, "UPSTREAM_UNAVAILABLE", "the storefront is not reachable");
    }
  }
  if (url.pathname === "/" || url.pathname.startsWith("/p/")) {
    return new Response(bundledPage, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
  return new Response("not found", { status: 404 });
}

export async function render(request, env, ctx, s) {
  const url = new URL(request.url);
  const origin = await upstream(request, s, url);
  const type = origin.headers.get("content-type") ?? "";
  const isPage = url.pathname === "/" || url.pathname.startsWith("/p/");
  if (!isPage || !origin.ok || !type.includes("text/html")) return origin;

  // Every personalized render without a cookie starts a session object, so
  // renders share the per-IP budget (their own bucket, same sizes). Over it,
  // the page is served as the storefront made it: static slots, no session,
  // no cookie. The shopper still gets a page; a script gets no objects.
  const wait = ipLimiter.take(
    [{ key: "render:" + clientIp(request), cost: 1 }],
    { burst: s.rate.ipBurst, perSecond: s.rate.ipPerSecond, maxKeys: s.rate.maxKeys },
    Date.now(),
  );
  if (wait > 0) {
    const headers = new Headers(origin.headers);
    headers.set("cache-control", "private, no-store");
    return new Response(origin.body, { status: origin.status, headers });
  }

  let sessionId = cookieValue(request, SESSION_COOKIE);
  const isNew = !sessionId || !SID_RE.test(sessionId);
  if (isNew) sessionId = newSessionId();
  const stub = sessionStub(env, sessionId);
  const context = { page: url.pathname };
  // On a product page the decision is about that product (related, accessories...).
  const productId = url.pathname.startsWith("/p/") ? safeDecode(url.pathname.slice(3)) : "";
  const decisions = [];
  let snapshot = null;

  const rewriter = new HTMLRewriter()
    .on("[data-ep-slot]", {
      async element(el) {
        const slot = el.getAttribute("data-ep-slot");
        const kAttr = Number.parseInt(el.getAttribute("data-ep-k") ?? "", 10);
        const k = Number.isFinite(kAttr) && kAttr > 0 ? Math.min(kAttr, s.decideMaxK) : DEFAULT_K;
        try {
          const req = { slot, k, context };
          if (productId) req.item = productId;
          const res = await stub.decide(sessionId, req, { withSnapshot: true });
          if (res.error) {
            console.warn("slot left static:", slot, res.error.code);
            return;
          }
          snapshot = res.snapshot;
          decisions.push(res.decision);
          el.setAttribute("data-ep-decision-id", String(res.decision.decisionId));
          el.setInnerContent(itemsHtml(res.decision.items ?? []), { html: true });
        } catch (err) {
          console.error("slot left static:", slot, String(err));
        }
      },
    })
    .on("body", {
      element(el) {
        el.onEndTag(async (end) => {
          try {
            if (snapshot === null) snapshot = await stub.snapshot(sessionId);
            const payload = { v: 1, sessionId, snapshot: toBase64(snapshot), decisions };
            end.before(`<script type="application/json" id="ep-snapshot">${scriptJson(payload)}</script>`, {
              html: true,
            });
          } catch (err) {
            console.error("snapshot not embedded:", String(err));
          }
        });
      },
    });

  const out = rewriter.transform(origin);
  const headers = new Headers(out.headers);
  headers.delete("content-length");
  headers.delete("etag");
  headers.delete("last-modified");
  headers.set("cache-control", "private, no-store");
  const secure = url.protocol === "https:" ? "; Secure" : "";
  if (isNew) {
    headers.append("set-cookie", `${SESSION_COOKIE}=${sessionId}; Path=/; Max-Age=${SESSION_COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure}`);
  }
  return new Response(out.body, { status: out.status, headers });
}
