import type { Preset } from './preset-kind.js';

/**
 * OpenAI-compatible and Anthropic-compatible vendors (CONTRACT section 6). Each is one row:
 * the protocol it speaks, its endpoint, its key variable (a row with one requires a key),
 * default models and the quirk flags of the base kind it needs (`web_search: refuse` on every
 * Chat-compatible server without OpenAI's `web_search_options`: all but OpenRouter, which
 * passes it to its search models). docs/backends/presets.md
 * lists the same table; spec/backends/presets/preset-table.spec.ts keeps the two in step.
 */
export const PRESETS: readonly Preset[] = [
  {
    kind: 'openrouter', base: 'openai-chat', description: 'OpenRouter, one key for many providers',
    catalog: 'openrouter',
    keyEnv: 'OPENROUTER_API_KEY', models: ['openai/gpt-5.4-mini'],
    defaults: { base_url: 'https://openrouter.ai/api/v1', max_tokens_field: 'max_tokens', reasoning_param: 'reasoning', reasoning_field: 'reasoning', reasoning_details: true, custom_tools: 'function', allowed_tools: 'filter' },
    attribution: { url: 'HTTP-Referer', title: 'X-OpenRouter-Title', titleAliases: ['X-Title'] },
  },
  {
    kind: 'nvidia', base: 'openai-chat', description: 'NVIDIA API catalog (build.nvidia.com)',
    catalog: 'nvidia',
    keyEnv: 'NVIDIA_API_KEY', models: ['meta/llama-3.3-70b-instruct'],
    defaults: { base_url: 'https://integrate.api.nvidia.com/v1', max_tokens_field: 'max_tokens', reasoning_param: 'none', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'huggingface', base: 'openai-chat', description: 'Hugging Face inference providers router',
    catalog: 'huggingface',
    keyEnv: 'HF_TOKEN', models: ['openai/gpt-oss-120b'],
    defaults: { base_url: 'https://router.huggingface.co/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'ollama', base: 'openai-chat', description: 'a local Ollama server (no key)',
    models: ['llama3.2'],
    defaults: { base_url: 'http://127.0.0.1:11434/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'ollama-cloud', base: 'openai-chat', description: 'Ollama cloud models (ollama.com)',
    catalog: 'ollama-cloud',
    keyEnv: 'OLLAMA_API_KEY', models: ['gpt-oss:120b'],
    defaults: { base_url: 'https://ollama.com/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'llamacpp', base: 'openai-chat', description: 'a local llama.cpp llama-server (no key)',
    models: ['default'],
    defaults: { base_url: 'http://127.0.0.1:8080/v1', max_tokens_field: 'max_tokens', reasoning_param: 'none', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'lmstudio', base: 'openai-chat', description: 'a local LM Studio server (no key)',
    models: ['default'],
    defaults: { base_url: 'http://127.0.0.1:1234/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'vllm', base: 'openai-chat', description: 'a vLLM OpenAI-compatible server (key optional)',
    models: ['default'],
    defaults: { base_url: 'http://127.0.0.1:8000/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'opencode-go', base: 'openai-chat', description: 'OpenCode Go subscription models',
    catalog: 'opencode-go',
    keyEnv: 'OPENCODE_API_KEY', models: ['kimi-k2'],
    defaults: { base_url: 'https://opencode.ai/zen/go/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'opencode-zen', base: 'openai-chat', description: 'OpenCode Zen curated models',
    catalog: 'opencode',
    keyEnv: 'OPENCODE_API_KEY', models: ['qwen3-coder'],
    defaults: { base_url: 'https://opencode.ai/zen/v1', max_tokens_field: 'max_tokens', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'deepseek', base: 'openai-chat', description: 'DeepSeek (api.deepseek.com)',
    catalog: 'deepseek',
    keyEnv: 'DEEPSEEK_API_KEY', models: ['deepseek-v4-flash', 'deepseek-v4-pro'],
    defaults: { base_url: 'https://api.deepseek.com', max_tokens_field: 'max_tokens', reasoning_param: 'thinking', reasoning_field: 'reasoning_content', reasoning_required: true, custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'moonshot', base: 'openai-chat', description: 'Moonshot AI, the Kimi models (api.moonshot.ai)',
    catalog: 'moonshotai',
    keyEnv: 'MOONSHOT_API_KEY', models: ['kimi-k2.6'],
    defaults: { base_url: 'https://api.moonshot.ai/v1', reasoning_param: 'none', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse', prefill: 'partial' },
  },
  {
    kind: 'zai', base: 'openai-chat', description: 'Z.ai, the GLM models (api.z.ai; the Coding Plan has its own base_url)',
    catalog: 'zai',
    keyEnv: 'ZAI_API_KEY', models: ['glm-5'],
    defaults: { base_url: 'https://api.z.ai/api/paas/v4', max_tokens_field: 'max_tokens', reasoning_param: 'none', reasoning_field: 'reasoning_content', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'alibaba-token-plan-intl', base: 'anthropic', description: 'Alibaba Cloud Model Studio Token Plan (Singapore), its Anthropic-compatible endpoint',
    keyEnv: 'ALIBABA_TOKEN_PLAN_API_KEY', models: ['qwen3.8-max'],
    defaults: { base_url: 'https://token-plan.ap-southeast-1.maas.aliyuncs.com/apps/anthropic' },
  },
  {
    kind: 'custom-openai-chat', base: 'openai-chat', description: 'any Chat Completions endpoint (key optional)',
    models: ['default'], requireBaseUrl: true,
    defaults: { max_tokens_field: 'max_tokens', custom_tools: 'function', allowed_tools: 'filter', web_search: 'refuse' },
  },
  {
    kind: 'custom-openai-responses', base: 'openai-responses', description: 'any Responses API endpoint (key optional)',
    models: ['default'], requireBaseUrl: true,
    defaults: {},
  },
  {
    kind: 'custom-openresponses', base: 'openai-responses', description: 'any Open Responses endpoint, profile 2026-04-24 (key optional)',
    models: ['default'], requireBaseUrl: true,
    defaults: { profile: 'openresponses' },
  },
  {
    kind: 'custom-anthropic', base: 'anthropic', description: 'any Anthropic Messages endpoint (key optional)',
    models: ['default'], requireBaseUrl: true,
    defaults: {},
  },
];
