import { PROMPT_CACHE_BREAKPOINT_SCHEMA } from '../cache-control.js';
import { TOP_LOGPROBS_SCHEMA } from '../logprobs.js';
import { openaiKnobSchemas, type OpenAIKnob } from '../provider-options.js';
import { WEB_SEARCH_TOOL_TYPES } from './web-search-call.js';

/** The OpenAI request knobs a Responses request carries to OpenAI backends (Call.providerOptions.openai). */
export const RESPONSES_KNOBS: readonly OpenAIKnob[] = ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'safety_identifier', 'truncation', 'moderation'];

/**
 * The JSON Schema of an OpenAI Responses request (`POST /v1/responses`), as far as lip reads it.
 * Unknown top-level fields are accepted and ignored; every field that is read is type-checked,
 * so a wrong type gets a 400 naming the field. Item and content `type` values are checked by the
 * decoder, which can say `input[2].content[0].type: unknown content type "foo"`.
 */
const tagged = (kinds: Record<string, Record<string, unknown>>) => ({
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string' } },
  allOf: Object.entries(kinds).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } }, required: ['type'] }, then: schema })),
});

const breakpoint = { prompt_cache_breakpoint: PROMPT_CACHE_BREAKPOINT_SCHEMA };
const inputText = { required: ['text'], properties: { text: { type: 'string' }, ...breakpoint } };
const inputImage = { properties: { image_url: { type: ['string', 'null'] }, file_id: { type: ['string', 'null'] }, detail: { type: 'string' }, ...breakpoint } };
const inputFile = {
  properties: { file_data: { type: 'string' }, file_id: { type: ['string', 'null'] }, file_url: { type: 'string' }, filename: { type: 'string' }, ...breakpoint },
};
const outputText = { required: ['text'], properties: { text: { type: 'string' } } };
const refusal = { required: ['refusal'], properties: { refusal: { type: 'string' } } };

const contentPart = tagged({ input_text: inputText, input_image: inputImage, input_file: inputFile, output_text: outputText, refusal });
const content = { type: ['string', 'array'], description: 'a string or an array of content parts', items: contentPart };

const message = { required: ['role', 'content'], properties: { role: { enum: ['user', 'assistant', 'system', 'developer'] }, content } };
const functionCall = {
  required: ['call_id', 'name', 'arguments'],
  properties: { id: { type: 'string' }, call_id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, arguments: { type: 'string' } },
};
const functionCallOutput = {
  required: ['call_id', 'output'],
  properties: {
    call_id: { type: 'string', minLength: 1 },
    output: { type: ['string', 'array'], description: 'a string or an array of content parts', items: contentPart },
  },
};
const customToolCall = {
  required: ['call_id', 'name', 'input'],
  properties: { id: { type: 'string' }, call_id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, input: { type: 'string' } },
};
const summaryText = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'summary_text' }, text: { type: 'string' } } };
const reasoningText = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'reasoning_text' }, text: { type: 'string' } } };
const reasoning = {
  properties: {
    id: { type: 'string' },
    summary: { type: 'array', items: summaryText },
    content: { type: ['array', 'null'], items: reasoningText },
    encrypted_content: { type: ['string', 'null'] },
  },
};

const nullableString = { type: ['string', 'null'] };
/** A hosted web search of an earlier turn; Codex CLI sends it without `id` (and `action` may be absent). */
const webSearchCall = {
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    action: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        query: nullableString,
        queries: { type: ['array', 'null'], items: { type: 'string' } },
        url: nullableString,
        pattern: nullableString,
        sources: { type: ['array', 'null'], items: { type: 'object', required: ['url'], properties: { url: { type: 'string' }, title: nullableString } } },
      },
    },
  },
};

/** An input item: typed, or an untyped `{role, content}` message. */
const item = {
  type: 'object',
  properties: { type: { type: 'string' } },
  allOf: [
    { if: { not: { required: ['type'] } }, then: message },
    { if: { properties: { type: { const: 'message' } }, required: ['type'] }, then: message },
    { if: { properties: { type: { const: 'function_call' } }, required: ['type'] }, then: functionCall },
    { if: { properties: { type: { const: 'function_call_output' } }, required: ['type'] }, then: functionCallOutput },
    { if: { properties: { type: { const: 'custom_tool_call' } }, required: ['type'] }, then: customToolCall },
    { if: { properties: { type: { const: 'custom_tool_call_output' } }, required: ['type'] }, then: functionCallOutput },
    { if: { properties: { type: { const: 'reasoning' } }, required: ['type'] }, then: reasoning },
    { if: { properties: { type: { const: 'web_search_call' } }, required: ['type'] }, then: webSearchCall },
  ],
};

const functionTool = {
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: ['string', 'null'] },
    parameters: { type: ['object', 'null'] },
    strict: { type: ['boolean', 'null'] },
  },
};

/** `format`: `{type: "text"}` or `{type: "grammar", syntax: "lark" | "regex", definition}`. */
const customTool = {
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: ['string', 'null'] },
    format: {
      type: ['object', 'null'],
      required: ['type'],
      properties: { type: { enum: ['text', 'grammar'] }, syntax: { enum: ['lark', 'regex'] }, definition: { type: 'string' } },
      if: { properties: { type: { const: 'grammar' } } },
      then: { required: ['type', 'syntax', 'definition'] },
    },
  },
};

/**
 * OpenAI's hosted web search (`web_search`, `web_search_2025_08_26`, and the preview tools):
 * allowed domains, an approximate user location, the context size, Codex's `external_web_access`.
 */
const webSearchTool = {
  properties: {
    filters: { type: ['object', 'null'], properties: { allowed_domains: { type: ['array', 'null'], items: { type: 'string', minLength: 1 } } } },
    user_location: {
      type: ['object', 'null'],
      properties: { type: { const: 'approximate' }, city: nullableString, region: nullableString, country: nullableString, timezone: nullableString },
    },
    search_context_size: { enum: ['low', 'medium', 'high', null] },
    external_web_access: { type: ['boolean', 'null'] },
    search_content_types: { type: ['array', 'null'], items: { enum: ['text', 'image'] } },
  },
};
const webSearchTools = Object.fromEntries([...WEB_SEARCH_TOOL_TYPES].map((type) => [type, webSearchTool]));

const format = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['text', 'json_object', 'json_schema'] }, name: { type: 'string' }, schema: { type: 'object' }, strict: { type: ['boolean', 'null'] } },
};

export const responsesRequestSchema: Record<string, unknown> = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { type: ['string', 'array'], description: 'a string or an array of input items', items: item },
    instructions: { type: ['string', 'null'] },
    stream: { type: ['boolean', 'null'] },
    tools: { type: ['array', 'null'], items: tagged({ function: functionTool, custom: customTool, ...webSearchTools }) },
    tool_choice: {
      type: ['string', 'object'],
      description: '"auto", "none", "required", {"type":"function","name":...}, {"type":"custom","name":...}, {"type":"web_search"} or {"type":"allowed_tools","mode":"auto"|"required","tools":[...]}',
      if: { type: 'string' },
      then: { enum: ['auto', 'none', 'required'] },
      else: {
        ...tagged({
          function: { required: ['name'], properties: { name: { type: 'string' } } },
          custom: { required: ['name'], properties: { name: { type: 'string' } } },
          allowed_tools: {
            required: ['mode', 'tools'],
            properties: { mode: { enum: ['auto', 'required'] }, tools: { type: 'array', minItems: 1, items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, name: { type: 'string' } } } } },
          },
        }),
        properties: { type: { enum: ['function', 'custom', 'allowed_tools', ...WEB_SEARCH_TOOL_TYPES] } },
      },
    },
    parallel_tool_calls: { type: ['boolean', 'null'] },
    temperature: { type: ['number', 'null'] },
    top_p: { type: ['number', 'null'] },
    max_output_tokens: { type: ['integer', 'null'] },
    reasoning: {
      type: ['object', 'null'],
      properties: { effort: { type: ['string', 'null'] }, summary: { type: ['string', 'null'] }, generate_summary: { type: ['string', 'null'] } },
    },
    text: { type: ['object', 'null'], properties: { verbosity: { enum: ['low', 'medium', 'high', null] }, format } },
    metadata: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    user: { type: 'string' },
    previous_response_id: { type: ['string', 'null'] },
    store: { type: ['boolean', 'null'] },
    include: { type: ['array', 'null'], items: { type: 'string' } },
    background: { type: ['boolean', 'null'] },
    ...openaiKnobSchemas(RESPONSES_KNOBS),
    // Read for compatibility, not forwarded.
    top_logprobs: TOP_LOGPROBS_SCHEMA,
  },
};
