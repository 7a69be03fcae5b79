import { CACHE_CONTROL_SCHEMA, PROMPT_CACHE_BREAKPOINT_SCHEMA } from '../cache-control.js';
import { TOP_LOGPROBS_SCHEMA } from '../logprobs.js';
import { openaiKnobSchemas, type OpenAIKnob } from '../provider-options.js';

/** The OpenAI request knobs a Chat request carries to OpenAI backends (Call.providerOptions.openai). */
export const CHAT_KNOBS: readonly OpenAIKnob[] = ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'safety_identifier', 'logit_bias', 'prediction', 'moderation'];

/**
 * The JSON Schema of a Chat Completions request, as far as `lip` reads it. Unknown top-level
 * fields are accepted and ignored (the API grows faster than any proxy); every field that is
 * read is type-checked so that a wrong type gets a 400 naming the field.
 */
/** A content part's cache mark: OpenAI's breakpoint, or an OpenRouter-style `cache_control` (checked as Anthropic checks it). */
const breakpoint = { prompt_cache_breakpoint: PROMPT_CACHE_BREAKPOINT_SCHEMA, cache_control: CACHE_CONTROL_SCHEMA };
const text = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' }, ...breakpoint } };
const imageUrl = {
  type: 'object', required: ['type', 'image_url'],
  properties: {
    type: { const: 'image_url' },
    image_url: { type: 'object', required: ['url'], properties: { url: { type: 'string', minLength: 1 }, detail: { enum: ['auto', 'low', 'high', null] } } },
    ...breakpoint,
  },
};
const file = {
  type: 'object', required: ['type', 'file'],
  properties: {
    type: { const: 'file' },
    file: { type: 'object', properties: { file_data: { type: 'string' }, file_id: { type: 'string' }, filename: { type: 'string' } } },
    ...breakpoint,
  },
};
/** Audio input: base64 `data` and its `format` (`wav`, `mp3`). */
const inputAudio = {
  type: 'object', required: ['type', 'input_audio'],
  properties: { type: { const: 'input_audio' }, input_audio: { type: 'object', required: ['data', 'format'], properties: { data: { type: 'string' }, format: { type: 'string', minLength: 1 } } }, ...breakpoint },
};
const refusal = { type: 'object', required: ['type', 'refusal'], properties: { type: { const: 'refusal' }, refusal: { type: 'string' } } };

/**
 * `web_search_options` (the search models' hosted web search): `search_context_size` and an
 * `approximate` `user_location`. `{}` asks for a search with the provider's defaults; fields
 * lip does not read are kept in the declaration an openai-chat backend sends on.
 */
const webSearchOptions = {
  type: ['object', 'null'],
  properties: {
    search_context_size: { enum: ['low', 'medium', 'high', null] },
    user_location: {
      type: ['object', 'null'], required: ['type', 'approximate'],
      properties: {
        type: { const: 'approximate' },
        approximate: {
          type: 'object',
          properties: { city: { type: ['string', 'null'] }, region: { type: ['string', 'null'] }, country: { type: ['string', 'null'] }, timezone: { type: ['string', 'null'] } },
        },
      },
    },
  },
};

const part = (kinds: Record<string, unknown>) => ({
  type: 'object',
  required: ['type'],
  properties: { type: { enum: Object.keys(kinds) } },
  allOf: Object.entries(kinds).map(([kind, schema]) => ({ if: { properties: { type: { const: kind } } }, then: schema })),
});

const userContent = {
  type: ['string', 'array'],
  description: 'a string or an array of content parts',
  items: part({ text, image_url: imageUrl, file, input_audio: inputAudio }),
};
const textContent = { type: ['string', 'array'], description: 'a string or an array of text parts', items: part({ text }) };
/** A function call (`function: {name, arguments}`), or a custom tool's (`type: "custom"`, `custom: {name, input}`). */
const toolCall = {
  type: 'object', required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1 },
    type: { enum: ['function', 'custom'] },
    function: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 }, arguments: { type: 'string' } } },
    custom: { type: 'object', required: ['name', 'input'], properties: { name: { type: 'string', minLength: 1 }, input: { type: 'string' } } },
  },
  if: { required: ['type'], properties: { type: { const: 'custom' } } },
  then: { required: ['custom'] },
  else: { required: ['function'] },
};

/** `format`: `{type: "text"}` or `{type: "grammar", grammar: {syntax: "lark" | "regex", definition}}`. */
const customTool = {
  type: 'object', required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: ['string', 'null'] },
    format: {
      type: ['object', 'null'], required: ['type'],
      properties: {
        type: { enum: ['text', 'grammar'] },
        grammar: { type: 'object', required: ['syntax', 'definition'], properties: { syntax: { enum: ['lark', 'regex'] }, definition: { type: 'string' } } },
      },
      if: { properties: { type: { const: 'grammar' } } },
      then: { required: ['type', 'grammar'] },
    },
  },
};

const message = {
  type: 'object',
  required: ['role'],
  properties: { role: { enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] } },
  allOf: [
    { if: { properties: { role: { enum: ['system', 'developer'] } } }, then: { required: ['content'], properties: { content: textContent } } },
    { if: { properties: { role: { const: 'user' } } }, then: { required: ['content'], properties: { content: userContent } } },
    {
      if: { properties: { role: { const: 'assistant' } } },
      then: {
        properties: {
          content: { type: ['string', 'array', 'null'], description: 'a string, an array of parts or null', items: part({ text, refusal }) },
          // openai-python's message.model_dump() of a text answer has tool_calls (and the rest) null.
          tool_calls: { type: ['array', 'null'], items: toolCall },
          function_call: { type: ['object', 'null'], properties: { name: { type: 'string' }, arguments: { type: 'string' } } },
          reasoning_content: { type: ['string', 'null'] },
          reasoning: { type: ['string', 'null'] },
          refusal: { type: ['string', 'null'] },
          // A search model's url_citation annotations, echoed with its answer: read, then dropped.
          annotations: { type: ['array', 'null'] },
        },
      },
    },
    { if: { properties: { role: { const: 'tool' } } }, then: { required: ['tool_call_id', 'content'], properties: { tool_call_id: { type: 'string', minLength: 1 }, content: textContent } } },
    { if: { properties: { role: { const: 'function' } } }, then: { required: ['name'], properties: { name: { type: 'string' }, content: { type: ['string', 'null'] } } } },
  ],
};


/** `{name}`: a tool named in a tool choice. */
const named = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };

export const chatRequestSchema: Record<string, unknown> = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: { type: 'array', minItems: 1, items: message },
    stream: { type: ['boolean', 'null'] },
    stream_options: { type: ['object', 'null'], properties: { include_usage: { type: ['boolean', 'null'] } } },
    temperature: { type: ['number', 'null'] },
    top_p: { type: ['number', 'null'] },
    max_tokens: { type: ['integer', 'null'] },
    max_completion_tokens: { type: ['integer', 'null'] },
    n: { type: ['integer', 'null'], minimum: 1 },
    stop: { type: ['string', 'array', 'null'], items: { type: 'string' } },
    presence_penalty: { type: ['number', 'null'] },
    frequency_penalty: { type: ['number', 'null'] },
    seed: { type: ['integer', 'null'] },
    user: { type: ['string', 'null'] },
    metadata: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    reasoning_effort: { type: ['string', 'null'] },
    verbosity: { enum: ['low', 'medium', 'high', null] },
    parallel_tool_calls: { type: ['boolean', 'null'] },
    web_search_options: webSearchOptions,
    tools: {
      type: ['array', 'null'],
      items: {
        type: 'object', required: ['type'],
        properties: {
          type: { enum: ['function', 'custom'] },
          function: {
            type: 'object', required: ['name'],
            properties: { name: { type: 'string', minLength: 1 }, description: { type: ['string', 'null'] }, parameters: { type: ['object', 'null'] }, strict: { type: ['boolean', 'null'] } },
          },
          custom: customTool,
        },
        if: { properties: { type: { const: 'custom' } } },
        then: { required: ['custom'] },
        else: { required: ['function'] },
      },
    },
    tool_choice: {
      // null is the default (as absent): no string, so it takes the else branch, whose checks hold for null.
      type: ['string', 'object', 'null'],
      description: '"auto", "none", "required", {"type":"function","function":{"name":...}}, {"type":"custom","custom":{"name":...}} or {"type":"allowed_tools","allowed_tools":{"mode":"auto"|"required","tools":[...]}}',
      if: { type: 'string' },
      then: { enum: ['auto', 'none', 'required'] },
      else: {
        type: ['object', 'null'],
        required: ['type'],
        properties: { type: { enum: ['function', 'custom', 'allowed_tools'] } },
        allOf: [
          { if: { properties: { type: { const: 'function' } } }, then: { required: ['function'], properties: { function: named } } },
          { if: { properties: { type: { const: 'custom' } } }, then: { required: ['custom'], properties: { custom: named } } },
          {
            if: { properties: { type: { const: 'allowed_tools' } } },
            then: {
              required: ['allowed_tools'],
              properties: {
                allowed_tools: {
                  type: 'object', required: ['mode', 'tools'], properties: {
                    mode: { enum: ['auto', 'required'] },
                    tools: {
                      type: 'array', minItems: 1, items: {
                        type: 'object', required: ['type'], properties: { type: { enum: ['function', 'custom'] } },
                        allOf: [
                          { if: { properties: { type: { const: 'function' } } }, then: { required: ['function'], properties: { function: named } } },
                          { if: { properties: { type: { const: 'custom' } } }, then: { required: ['custom'], properties: { custom: named } } },
                        ],
                      },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    },
    response_format: {
      type: ['object', 'null'],
      required: ['type'],
      properties: {
        type: { enum: ['text', 'json_object', 'json_schema'] },
        json_schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, description: { type: ['string', 'null'] }, schema: { type: ['object', 'null'] }, strict: { type: ['boolean', 'null'] } } },
      },
      // `json_schema` needs its object, as OpenAI says ("Missing required parameter: 'response_format.json_schema'").
      if: { properties: { type: { const: 'json_schema' } } },
      then: { required: ['json_schema'] },
    },
    ...openaiKnobSchemas(CHAT_KNOBS),
    logprobs: { type: ['boolean', 'null'] },
    top_logprobs: TOP_LOGPROBS_SCHEMA,
    // Read for compatibility, not forwarded.
    store: { type: ['boolean', 'null'] },
  },
};
