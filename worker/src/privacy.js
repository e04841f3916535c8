// User ids leave the edge only as keyed hashes when USER_ID_SALT is set:
// HMAC-SHA-256(salt, userId), hex. A keyed hash (not sha256(salt+id)) so the
// salt cannot be recovered or extended, and the same user maps to the same
// value everywhere the salt is shared (the model can still join sessions).

const encoder = new TextEncoder();
let keyCache = { salt: null, key: null };

async function hmacKey(salt) {
  if (keyCache.salt !== salt) {
    const key = await crypto.subtle.importKey(
      "raw",
      encoder.encode(salt),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keyCache = { salt, key };
  }
  return keyCache.key;
}

/** The hex HMAC-SHA-256 of `userId` under `salt`. */
export async function hashUserId(userId, salt) {
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(salt), encoder.encode(userId));
  return [...new Uint8Array(sig)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
