export { codexClientCompat, applyCodexCompat, detectHarness, CODEX_KIND, type CodexClientCompatConfig } from './codex-client-compat.js';
export { HARNESSES, OPENCODE, PI, DROID, HERMES, type Harness } from './harnesses.js';
