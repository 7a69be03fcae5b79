/**
 * Documented limits of the canonical model (docs/canonical.md lists the same numbers). They
 * bound memory per request; the body limit (`server.max_request_body_bytes`) applies first.
 */
export const CALL_LIMITS = {
  modelChars: 64 * 1024,
  messages: 10_000,
  systemParts: 1_024,
  partsPerMessage: 4_096,
  textChars: 8 * 1024 * 1024,
  refChars: 8 * 1024 * 1024,
  idChars: 1_024,
  tools: 2_048,
  toolNameChars: 256,
  toolDescriptionChars: 64 * 1024,
  stopSequences: 64,
  stopSequenceChars: 1_024,
  metadataEntries: 256,
  metadataKeyChars: 256,
  metadataValueChars: 8 * 1024,
  reasoningDialectChars: 256,
  signatureChars: 1024 * 1024,
} as const;

/** Bounds for `collect()`: how much a non-streaming response may accumulate in memory. */
export const COLLECT_LIMITS = {
  textChars: 64 * 1024 * 1024,
  reasoningChars: 64 * 1024 * 1024,
  toolArgsChars: 128 * 1024 * 1024,
  toolCalls: 10_000,
  warnings: 10_000,
} as const;
