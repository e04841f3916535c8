// The write key: a shared key in the `X-EP-Write-Key` header.
//
// The key ships inside the storefront's page, so it identifies the merchant's
// integration; it does not authenticate a shopper (see SECURITY.md). Its job
// is to keep casual and cross-site writers out, together with the origin
// allowlist and the rate limits.

export const WRITE_KEY_HEADER = "X-EP-Write-Key";

const encoder = new TextEncoder();

async function sha256(text) {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/**
 * Compares two strings without leaking where they differ.
 *
 * Both sides are hashed with SHA-256 first, so `timingSafeEqual` always
 * compares 32 bytes against 32 bytes (it throws on unequal lengths, and a
 * plain length check would tell a guesser the key's length). It then looks
 * at every byte: there is no early exit on the first mismatch. The hashing
 * time depends only on the lengths of the inputs, never on their contents.
 */
export async function constantTimeEqual(given, expected) {
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * True when the request carries the configured write key. With no key
 * configured every write is refused: a missing secret must not open the door.
 * A missing header is compared like any wrong key, so it takes the same path.
 */
export async function writeKeyOk(request, expected) {
  if (!expected) return false;
  const given = request.headers.get(WRITE_KEY_HEADER) ?? "";
  return constantTimeEqual(given, expected);
}
