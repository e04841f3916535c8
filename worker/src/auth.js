// The write key: a shared key in the `X-EP-Write-Key` header.
//
// Both sides are hashed with SHA-256 first, so the comparison always works on
// 32 equal-length bytes, and `crypto.subtle.timingSafeEqual` then compares
// them without an early exit: the answer time says nothing about how many
// leading characters were right, nor about the key's length.

export const WRITE_KEY_HEADER = "X-EP-Write-Key";

const encoder = new TextEncoder();

async function sha256(text) {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/**
 * True when the request carries the configured write key. With no key
 * configured every write is refused: a missing secret must not open the door.
 */
export async function writeKeyOk(request, expected) {
  const given = request.headers.get(WRITE_KEY_HEADER);
  if (!expected || given === null) return false;
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}
