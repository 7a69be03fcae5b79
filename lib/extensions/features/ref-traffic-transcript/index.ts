export { refTrafficTranscript, type RefTrafficTranscriptConfig } from './ref-traffic-transcript.js';
export { TranscriptStore, type TranscriptRow, type LedgerEntry } from './transcript-store.js';
