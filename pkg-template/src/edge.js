// What the edge Worker embeds in pages it renders (worker/README.md):
// <script type="application/json" id="ep-snapshot">{"v":1,"sessionId","snapshot":"<base64>","decisions":[...]}</script>

/** The edge's embedded session, or null when the page has none (or a bad one). */
export function readEdgeSnapshot(doc = globalThis.document) {
  const el = doc?.getElementById?.("ep-snapshot");
  if (!el) return null;
  try {
    const data = JSON.parse(el.textContent);
    if (data?.v !== 1 || typeof data.snapshot !== "string") return null;
    const bin = atob(data.snapshot);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return { sessionId: data.sessionId, snapshot: bytes, decisions: Array.isArray(data.decisions) ? data.decisions : [] };
  } catch {
    return null;
  }
}
