// Edge rendering: HTMLRewriter fills data-ep-slot elements and embeds the snapshot.
import { SELF, env, createExecutionContext } from "cloudflare:test";
import { describe, it, expect, vi, afterEach } from "vitest";
import worker from "../src/index.js";
import { BASE, event, post } from "./helpers.js";
import { Personalizer } from "../src/core.js";
import { fromBase64 } from "../src/base64.js";
import { itemsHtml } from "../src/render.js";

function snapshotPayload(html) {
  const m = html.match(/<script type="application\/json" id="ep-snapshot">([\s\S]*?)<\/script>/);
  expect(m).not.toBeNull();
  return JSON.parse(m[1]);
}

function slotHtml(html, slot) {
  const m = html.match(new RegExp(`<div[^>]*data-ep-slot="${slot}"[^>]*>([\\s\\S]*?)</div>`));
  expect(m).not.toBeNull();
  return { tag: m[0].slice(0, m[0].indexOf(">") + 1), inner: m[1] };
}

afterEach(() => vi.restoreAllMocks());

describe("edge rendering", () => {
  it("fills every slot with decided items and embeds the snapshot", async () => {
    const res = await SELF.fetch(BASE + "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const cookie = res.headers.get("set-cookie");
    expect(cookie).toMatch(/^ep_sid=s-[0-9a-z]+; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure$/);
    const sid = cookie.split(";")[0].split("=")[1];
    const html = await res.text();

    const payload = snapshotPayload(html);
    expect(payload.v).toBe(1);
    expect(payload.sessionId).toBe(sid);
    expect(payload.decisions.map((d) => d.slot)).toEqual(["home-recs", "cross-sell"]);

    const home = slotHtml(html, "home-recs");
    const decision = payload.decisions[0];
    expect(home.tag).toContain(`data-ep-decision-id="${decision.decisionId}"`);
    expect(home.inner).toBe(itemsHtml(decision.items));
    expect(home.inner).not.toContain("Our best-sellers"); // the static default was replaced
    expect(decision.items.length).toBeLessThanOrEqual(4);
    expect(payload.decisions[1].items.length).toBeLessThanOrEqual(3);

    // The page's module can continue exactly this session.
    const p = new Personalizer({});
    p.restore(fromBase64(payload.snapshot));
    expect(p.state().sessionId).toBe(sid);
    p.free();
    expect(html.indexOf('id="ep-snapshot"')).toBeLessThan(html.indexOf("</body>"));
  });

  it("renders the returning shopper's session, following what they viewed", async () => {
    const first = await SELF.fetch(BASE + "/");
    const sid = first.headers.get("set-cookie").split(";")[0].split("=")[1];
    const before = snapshotPayload(await first.text()).decisions[0].items.map((i) => i.id);
    const view = event("product_view", sid, { item: { id: "sku-6" } });
    await post("/v1/collect", { events: [view, view] });
    const again = await SELF.fetch(BASE + "/p/sku-6", { headers: { cookie: `ep_sid=${sid}` } });
    expect(again.headers.get("set-cookie")).toBeNull();
    const payload = snapshotPayload(await again.text());
    expect(payload.sessionId).toBe(sid);
    const after = payload.decisions[0].items.map((i) => i.id);
    expect(after).not.toEqual(before);
  });

  it("replaces a malformed session cookie with a new session", async () => {
    const res = await SELF.fetch(BASE + "/", { headers: { cookie: "ep_sid=<script>" } });
    expect(res.headers.get("set-cookie")).toMatch(/^ep_sid=s-/);
    expect(await res.text()).not.toContain("<script>\"");
  });

  it("escapes item markup", () => {
    expect(itemsHtml([{ id: '<x>"&', reasons: ["a<b"] }])).toBe(
      '<a class="ep-item" href="/p/%3Cx%3E%22%26" data-ep-item="&#60;x&#62;&#34;&#38;" data-ep-reasons="a&#60;b">&#60;x&#62;&#34;&#38;</a>',
    );
  });

  it("answers 404 for pages the bundled storefront does not have", async () => {
    const res = await SELF.fetch(BASE + "/nope.css");
    expect(res.status).toBe(404);
  });

  it("answers 502 when the storefront origin is unreachable", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(BASE + "/"), { ...env, STOREFRONT_ORIGIN: "http://127.0.0.1:9" }, ctx);
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("proxies the storefront origin without cookies or the client address, and fills its slots", async () => {
    const ORIGIN_URL = "http://storefront.test";
    const realFetch = globalThis.fetch;
    const upstream = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (!req.url.startsWith(ORIGIN_URL)) return realFetch(input, init);
      upstream.push({ url: req.url, headers: Object.fromEntries(req.headers) });
      if (req.url.endsWith("/app.js")) return new Response("console.log(1)", { headers: { "content-type": "text/javascript" } });
      return new Response('<html><body><ol data-ep-slot="home-recs" data-ep-k="2">static</ol></body></html>', {
        headers: { "content-type": "text/html; charset=utf-8", etag: '"origin"' },
      });
    });
    const envWithOrigin = { ...env, STOREFRONT_ORIGIN: ORIGIN_URL };
    const headers = {
      cookie: "ep_sid=s-proxytest; other=secret",
      "cf-connecting-ip": "203.0.113.9",
      "x-forwarded-for": "203.0.113.9",
      "accept-language": "de-DE",
    };
    const page = await worker.fetch(new Request(BASE + "/p/sku-1?x=1", { headers }), envWithOrigin, createExecutionContext());
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get("etag")).toBeNull(); // personalized: the origin's validator no longer holds
    expect(upstream[0].url).toBe(ORIGIN_URL + "/p/sku-1?x=1");
    expect(upstream[0].headers["accept-language"]).toBe("de-DE");
    for (const h of ["cookie", "cf-connecting-ip", "x-forwarded-for"]) expect(upstream[0].headers[h]).toBeUndefined();
    const payload = snapshotPayload(html);
    expect(payload.sessionId).toBe("s-proxytest");
    expect(payload.decisions[0].items).toHaveLength(2);
    expect(html).toContain(`data-ep-decision-id="${payload.decisions[0].decisionId}"`);
    expect(html).not.toContain(">static<");

    // Assets pass through untouched.
    const asset = await worker.fetch(new Request(BASE + "/app.js"), envWithOrigin, createExecutionContext());
    expect(await asset.text()).toBe("console.log(1)");
    expect(asset.headers.get("set-cookie")).toBeNull();
  });
});
