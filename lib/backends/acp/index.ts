export { acpKind } from './kind.js';
export { AcpBackend, sessionOf } from './source.js';
export { acpChannel, type AcpLifecycle } from './acp-channel.js';
export { acpOptions, acpProperties, type AcpOptions } from './options.js';
export { planPrompt, renderMessage, type HistoryMark } from './encode-request.js';
export { UpdateDecoder } from './decode-stream.js';
export { permissionOutcome } from './agent-runtime.js';
export { NdjsonLines, MAX_AGENT_LINE_BYTES } from './ndjson-lines.js';
export { JsonRpcPeer, RpcError, METHOD_NOT_FOUND } from './json-rpc-peer.js';
