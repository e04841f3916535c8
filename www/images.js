// Product images: a small SVG per product, generated from its category (the
// shape), its brand (the colour) and its id (the shade), so 300 products need
// no image files. Deterministic: the same product always looks the same.

const BRAND_COLORS = {
  acme: "#d1495b", northpeak: "#00798c", trailhawk: "#edae49", bluefjord: "#30638e", summitline: "#6a4c93",
  kestrel: "#2a9d8f", ridgeway: "#8d6e63", driftwood: "#a5a58d", alpenglow: "#e76f51", coastal: "#277da1",
};

// One simple drawing per category, on a 120x90 canvas.
const SHAPES = {
  "running-shoes": (c) => `<path d="M20 62 C30 40 48 38 58 46 L84 54 C98 58 102 64 100 70 L22 70 Z" fill="${c}"/><path d="M22 70 L100 70 L100 74 L22 74 Z" fill="#fff" opacity=".8"/><path d="M50 46 l6 6 M58 48 l6 6 M66 50 l6 6" stroke="#fff" stroke-width="2"/>`,
  "rain-jackets": (c) => `<path d="M42 20 L60 26 L78 20 L96 36 L88 46 L82 42 L82 76 L38 76 L38 42 L32 46 L24 36 Z" fill="${c}"/><path d="M60 26 L60 76" stroke="#fff" stroke-width="2" opacity=".8"/><path d="M52 20 Q60 30 68 20" fill="none" stroke="#fff" stroke-width="2"/>`,
  backpacks: (c) => `<rect x="38" y="22" width="44" height="56" rx="12" fill="${c}"/><rect x="46" y="48" width="28" height="20" rx="4" fill="#fff" opacity=".35"/><path d="M50 22 Q60 10 70 22" fill="none" stroke="${c}" stroke-width="4"/>`,
  tents: (c) => `<path d="M14 74 L60 18 L106 74 Z" fill="${c}"/><path d="M60 18 L48 74 L72 74 Z" fill="#fff" opacity=".35"/><path d="M8 74 L112 74" stroke="#555" stroke-width="2"/>`,
  "sleeping-bags": (c) => `<rect x="18" y="34" width="84" height="30" rx="15" fill="${c}"/><circle cx="32" cy="49" r="10" fill="#fff" opacity=".5"/><path d="M48 36 L48 62 M64 36 L64 62 M80 36 L80 62" stroke="#fff" stroke-width="1.5" opacity=".6"/>`,
  headlamps: (c) => `<ellipse cx="60" cy="48" rx="40" ry="14" fill="none" stroke="${c}" stroke-width="6"/><circle cx="60" cy="48" r="14" fill="${c}"/><circle cx="60" cy="48" r="7" fill="#fffbe0"/>`,
  "water-bottles": (c) => `<rect x="46" y="30" width="28" height="50" rx="8" fill="${c}"/><rect x="52" y="18" width="16" height="14" rx="3" fill="#444"/><rect x="50" y="44" width="20" height="16" fill="#fff" opacity=".4"/>`,
  socks: (c) => `<path d="M46 16 L66 16 L66 54 L86 62 C94 66 92 78 82 78 L52 74 C46 73 46 68 46 64 Z" fill="${c}"/><path d="M46 24 L66 24 M46 30 L66 30" stroke="#fff" stroke-width="3"/>`,
};

function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const cache = new Map();

/** A data: URL of the product's SVG image. */
export function productImage(item) {
  if (cache.has(item.id)) return cache.get(item.id);
  const color = BRAND_COLORS[item.brand] ?? "#607d8b";
  const hue = hash(item.id) % 360;
  const shape = SHAPES[item.category] ?? ((c) => `<circle cx="60" cy="45" r="25" fill="${c}"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 90"><rect width="120" height="90" fill="hsl(${hue} 40% 94%)"/>${shape(color)}<text x="6" y="86" font-family="sans-serif" font-size="8" fill="#555">${item.brand ?? ""}</text></svg>`;
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  cache.set(item.id, url);
  return url;
}
