import { createHash } from 'node:crypto';

/** The longest end-user id OpenAI takes, as `user` and as `safety_identifier` alike. */
export const OPENAI_END_USER_MAX = 64;

/**
 * The end user (Call.user) as an OpenAI-family server takes it: as it is when it fits in `max`
 * characters, else the SHA-256 hex digest of the whole (64 characters), cut to `max`. Another
 * protocol's client may name its user at any length (Claude Code's `metadata.user_id` is a JSON
 * object of device, account and session ids, 150 characters and more), and OpenAI refuses the
 * whole request for a `user` over 64 ("string too long", `string_above_max_length`). The digest
 * is the same for the same id on every request, so the server's per-user abuse tracking still
 * tells users apart; an id that fits is never changed.
 *
 * ```ts
 * endUserId('user_42')                // 'user_42'
 * endUserId('{"device_id":"...",...}') // 'b5d4…' (64 hex characters)
 * ```
 * @see spec/backends/end-user-id.spec.ts
 */
export function endUserId(user: string, max = OPENAI_END_USER_MAX): string {
  return user.length <= max ? user : createHash('sha256').update(user).digest('hex').slice(0, max);
}
