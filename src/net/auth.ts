/**
 * CPython's authentication handshake (`deliver_challenge` / `answer_challenge` of
 * `multiprocessing.connection`, 3.12+), HMAC over a random challenge, in both
 * directions. The modern form names its digest (`#CHALLENGE#{sha256}` + 40 random
 * bytes, answered with `{sha256}` + the HMAC); the legacy form of Python 3.11 and
 * older (a 20-byte challenge without a prefix, answered with a bare 16-byte HMAC-MD5)
 * is understood on both sides.
 *
 * @module
 */
import { AuthenticationError } from "../internal/errors.ts";
import { nodeCrypto } from "../internal/runtime.ts";

const encoder = new TextEncoder();
const CHALLENGE = encoder.encode("#CHALLENGE#");
const WELCOME = encoder.encode("#WELCOME#");
const FAILURE = encoder.encode("#FAILURE#");
/** Random bytes of a modern challenge (CPython's `MESSAGE_LENGTH`). */
const MESSAGE_LENGTH = 40;
/** A legacy challenge's length, and a legacy (bare HMAC-MD5) answer's. */
const MD5ONLY_MESSAGE_LENGTH = 20;
const MD5_DIGEST_LEN = 16;
/** Digests CPython accepts, with their `node:crypto` names. */
const DIGESTS: Record<string, string> = {
  md5: "md5",
  sha256: "sha256",
  sha384: "sha384",
  sha3_256: "sha3-256",
  sha3_384: "sha3-384",
};
const MAX_DIGEST_LEN = 8;
/** Handshake messages longer than this are refused (CPython's `recv_bytes(256)`). */
export const HANDSHAKE_MAX = 256;

/** What the handshake needs of a connection. */
export interface HandshakeChannel {
  /** Hands `buf` to the socket without waiting for the OS (a failure shows at the next receive). */
  sendBytesSync(buf: Uint8Array): void;
  /** Resolves once the OS took `buf` (before the connection is dropped: `#FAILURE#`). */
  sendBytes(buf: Uint8Array): Promise<void>;
  recvBytes(maxLength?: number): Promise<Uint8Array>;
}

/** An authkey as bytes: a string is taken as UTF-8. */
export type Authkey = Uint8Array | string;

/** Checks an `authkey` option and returns its bytes (or `null` when absent). */
export function authkeyBytes(authkey: unknown, where: string): Uint8Array | null {
  if (authkey === undefined || authkey === null) return null;
  if (typeof authkey === "string") return encoder.encode(authkey);
  if (authkey instanceof Uint8Array) return authkey.slice();
  throw new TypeError(`${where}: authkey must be a Uint8Array or a string, got ${describe(authkey)}`);
}

function describe(v: unknown): string {
  return typeof v === "object" && v !== null ? v.constructor?.name ?? "object" : typeof v;
}

function hmac(digest: string, key: Uint8Array, message: Uint8Array): Uint8Array {
  const algorithm = DIGESTS[digest];
  if (algorithm === undefined) {
    throw new AuthenticationError(`Digest ${JSON.stringify(digest)} is not supported`);
  }
  try {
    return new Uint8Array(nodeCrypto().createHmac(algorithm, key).update(message).digest());
  } catch (e) {
    throw new AuthenticationError(`Digest ${digest} is not supported by this runtime`, { cause: e });
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && nodeCrypto().timingSafeEqual(a, b);
}

function show(bytes: Uint8Array): string {
  const text = Array.from(
    bytes.subarray(0, 24),
    (b) =>
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`,
  )
    .join("");
  return `b'${text}${bytes.length > 24 ? "..." : ""}' (${bytes.length} bytes)`;
}

/** The digest a message names (`""`: the legacy form) and the rest of it. */
function digestAndPayload(message: Uint8Array): [string, Uint8Array] {
  if (message.length === MD5ONLY_MESSAGE_LENGTH || message.length === MD5_DIGEST_LEN) return ["", message];
  if (message[0] === 0x7b) {
    const end = message.subarray(1, MAX_DIGEST_LEN + 2).indexOf(0x7d) + 1;
    if (end > 0) {
      const digest = new TextDecoder().decode(message.subarray(1, end));
      if (Object.hasOwn(DIGESTS, digest)) return [digest, message.subarray(end + 1)];
    }
  }
  // message: python
  throw new AuthenticationError(
    `unsupported message length, missing digest prefix, or unsupported digest: ${show(message)}`,
  );
}

/** The answer to a challenge `message` (its part after `#CHALLENGE#`). */
function response(key: Uint8Array, message: Uint8Array): Uint8Array {
  const [digest] = digestAndPayload(message);
  if (!digest) return hmac("md5", key, message); // a legacy peer: a bare HMAC-MD5
  return concat(encoder.encode(`{${digest}}`), hmac(digest, key, message));
}

function verify(key: Uint8Array, message: Uint8Array, answer: Uint8Array): void {
  const [named, mac] = digestAndPayload(answer);
  const digest = named || "md5";
  const expected = hmac(digest, key, message);
  if (expected.length !== mac.length) {
    // message: python
    throw new AuthenticationError(
      `expected a ${digest} digest of ${expected.length} bytes, got ${mac.length}`,
    );
  }
  if (!equal(expected, mac)) throw new AuthenticationError("digest received was wrong"); // message: python
}

/**
 * Sends a challenge and checks the peer's answer (the first half of the server's
 * handshake, CPython's `deliver_challenge`). Throws {@linkcode AuthenticationError}
 * after telling the peer `#FAILURE#`.
 */
export async function deliverChallenge(conn: HandshakeChannel, key: Uint8Array): Promise<void> {
  await checkAnswer(conn, key, sendChallenge(conn));
}

/** Sends a new challenge; returns its message, for {@linkcode checkAnswer}. */
function sendChallenge(conn: HandshakeChannel): Uint8Array {
  const random = crypto.getRandomValues(new Uint8Array(MESSAGE_LENGTH));
  const message = concat(encoder.encode("{sha256}"), random);
  conn.sendBytesSync(concat(CHALLENGE, message));
  return message;
}

/** Receives the answer to the challenge `message` and says `#WELCOME#` or `#FAILURE#`. */
async function checkAnswer(conn: HandshakeChannel, key: Uint8Array, message: Uint8Array): Promise<void> {
  const answer = await conn.recvBytes(HANDSHAKE_MAX);
  try {
    verify(key, message, answer);
  } catch (e) {
    await conn.sendBytes(FAILURE).catch(() => {}); // delivered before the connection is dropped
    throw e;
  }
  conn.sendBytesSync(WELCOME);
}

/**
 * The client's whole handshake: answers the server's challenge, then challenges it
 * (CPython's `answer_challenge` then `deliver_challenge`). Its own challenge leaves
 * together with its answer instead of after the server's verdict (one round trip
 * fewer; a server reads it after sending its verdict, CPython's too). Throws
 * {@linkcode AuthenticationError} when either side's key is wrong.
 */
export async function clientHandshake(conn: HandshakeChannel, key: Uint8Array): Promise<void> {
  const mine = await answerChallenge(conn, key, () => sendChallenge(conn));
  await checkAnswer(conn, key, mine!);
}

/**
 * Answers the peer's challenge and waits for its verdict (CPython's
 * `answer_challenge`). Throws {@linkcode AuthenticationError} when the peer rejects it.
 * With `then`, calls it right after sending the answer (before the verdict arrives)
 * and returns what it returned.
 */
export async function answerChallenge(
  conn: HandshakeChannel,
  key: Uint8Array,
  then?: () => Uint8Array,
): Promise<Uint8Array | undefined> {
  const challenge = await conn.recvBytes(HANDSHAKE_MAX);
  if (!startsWith(challenge, CHALLENGE)) {
    throw new AuthenticationError(`protocol error, expected a challenge: ${show(challenge)}`); // message: python
  }
  const message = challenge.subarray(CHALLENGE.length);
  if (message.length < MD5ONLY_MESSAGE_LENGTH) {
    throw new AuthenticationError(`challenge too short: ${message.length} bytes`); // message: python
  }
  conn.sendBytesSync(response(key, message));
  const next = then?.();
  const verdict = await conn.recvBytes(HANDSHAKE_MAX);
  if (!equal(verdict, WELCOME)) {
    // message: python
    throw new AuthenticationError(
      "digest sent was rejected: the peer uses a different authkey (or none)" +
        (equal(verdict, FAILURE) ? "" : `; it answered ${show(verdict)}`),
    );
  }
  return next;
}
