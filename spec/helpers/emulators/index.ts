export { startEmulator, bearerKey, sse, type Emulator, type EmulatorProtocol, type RecordedRequest, type ClientClose } from './emulator-server.js';
export { startOpenAIChatEmulator, openaiChatProtocol } from './openai-chat-emulator.js';
export { drain, runtimeFor, backendOf, type Drained } from './drain.js';
export type { Script, FaultScript, ToolCallScript, ReasoningScript, UsageScript, FinishScript, Frame } from './script.js';
export { startOpenAIResponsesEmulator, openaiResponsesProtocol } from './openai-responses-emulator.js';
export { startAnthropicEmulator, anthropicProtocol } from './anthropic-emulator.js';
export { startGeminiEmulator, geminiProtocol } from './gemini-emulator.js';
export { startForwardProxy, type ForwardProxy, type ProxiedRequest } from './forward-proxy.js';
export { startAcpHttpEmulator, type AcpHttpEmulator, type AcpHttpFaults } from './acp-http-emulator.js';
