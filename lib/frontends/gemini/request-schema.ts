import { TOP_LOGPROBS_SCHEMA } from '../logprobs.js';

/**
 * The JSON Schema of a Gemini generateContent request body (camelCase; snake_case keys are
 * normalised before validation, see normalize-keys.ts). Unknown fields are accepted and ignored;
 * every field that is read is type-checked so that a wrong type gets a 400 naming the field. Which
 * kind a part is (text, inlineData, functionCall, ...) is decided by the decoder.
 */
const blob = { type: 'object', required: ['mimeType', 'data'], properties: { mimeType: { type: 'string' }, data: { type: 'string' } } };
const fileData = { type: 'object', required: ['fileUri'], properties: { mimeType: { type: 'string' }, fileUri: { type: 'string', minLength: 1 } } };

/** Code execution's parts in a model turn (kept as written; the fields are typed so a wrong type is a 400 naming it). */
const executableCode = { type: 'object', properties: { language: { type: 'string' }, code: { type: 'string' }, id: { type: 'string' } } };
const codeExecutionResult = { type: 'object', properties: { outcome: { type: 'string' }, output: { type: 'string' }, id: { type: 'string' } } };
/** A built-in tool's own call and result (`includeServerSideToolInvocations`), kept as written likewise. */
const toolCall = { type: 'object', properties: { id: { type: 'string' }, toolType: { type: 'string' }, args: { type: 'object' } } };
const toolResponse = { type: 'object', properties: { id: { type: 'string' }, toolType: { type: 'string' }, response: { type: 'object' } } };

const part = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    thought: { type: 'boolean' },
    thoughtSignature: { type: 'string' },
    inlineData: blob,
    fileData,
    functionCall: {
      type: 'object', required: ['name'],
      properties: { id: { type: 'string' }, name: { type: 'string', minLength: 1 }, args: { type: ['object', 'null'] } },
    },
    functionResponse: {
      type: 'object', required: ['name'],
      properties: {
        id: { type: 'string' }, name: { type: 'string', minLength: 1 }, response: { type: ['object', 'null'] },
        // Media a function returns (Gemini 3): each part holds inlineData or fileData.
        parts: { type: 'array', items: { type: 'object', properties: { inlineData: blob, fileData } } },
      },
    },
    executableCode,
    codeExecutionResult,
    toolCall,
    toolResponse,
    // Beside inlineData or fileData: kept as written for a gemini backend (MEDIA_DIALECTS.gemini).
    videoMetadata: { type: 'object', properties: { startOffset: { type: 'string' }, endOffset: { type: 'string' }, fps: { type: 'number' } } },
    mediaResolution: { type: 'object', properties: { level: { type: 'string' }, numTokens: { type: 'integer' } } },
    mediaProcessing: { type: 'string' },
  },
};

const content = {
  type: 'object',
  required: ['parts'],
  properties: { role: { type: 'string' }, parts: { type: 'array', items: part } },
};

const functionDeclaration = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    parameters: { type: 'object' },
    parametersJsonSchema: { type: 'object' },
  },
};

/** Google Search grounding; the fields lip reads or keeps are typed, the declaration goes on as written. */
const googleSearch = {
  type: 'object',
  properties: {
    excludeDomains: { type: 'array', items: { type: 'string' } },
    timeRangeFilter: { type: 'object', properties: { startTime: { type: 'string' }, endTime: { type: 'string' } } },
  },
};
/** Gemini 1.5's search tool: read as googleSearch. */
const googleSearchRetrieval = { type: 'object', properties: { dynamicRetrievalConfig: { type: 'object' } } };
/** The hosted built-ins, sent on as written; the fields each declares are typed, so that a wrong type is a 400 naming it. */
const codeExecution = { type: 'object' };
const urlContext = { type: 'object' };
const strings = { type: 'array', items: { type: 'string' } };
const googleMaps = { type: 'object', properties: { enableWidget: { type: 'boolean' }, authConfig: { type: 'object' }, groundingTypes: { type: 'object' } } };
const fileSearch = {
  type: 'object', required: ['fileSearchStoreNames'],
  properties: { fileSearchStoreNames: { ...strings, minItems: 1 }, metadataFilter: { type: 'string' }, topK: { type: 'integer' } },
};
const retrieval = {
  type: 'object',
  properties: { vertexAiSearch: { type: 'object' }, vertexRagStore: { type: 'object' }, externalApi: { type: 'object' }, disableAttribution: { type: 'boolean' } },
};
const enterpriseWebSearch = { type: 'object', properties: { excludeDomains: strings, blockingConfidence: { type: 'string' } } };
const exaAiSearch = { type: 'object', properties: { apiKey: { type: 'string' }, customConfigs: { type: 'object' } } };
const parallelAiSearch = {
  type: 'object',
  properties: { apiKey: { type: 'string' }, customConfigs: { type: 'object' }, enableDataRetention: { type: 'boolean' }, enableZeroDataRetention: { type: 'boolean' } },
};
const mcpServers = {
  type: 'array', minItems: 1,
  items: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      streamableHttpTransport: {
        type: 'object',
        properties: {
          url: { type: 'string', minLength: 1 }, headers: { type: 'object', additionalProperties: { type: 'string' } },
          timeout: { type: 'string' }, sseReadTimeout: { type: 'string' }, terminateOnClose: { type: 'boolean' },
        },
      },
    },
  },
};
/** Computer use: the predefined functions of an environment, less the excluded ones (computer-use.ts). */
const computerUse = {
  type: 'object',
  properties: {
    environment: { type: 'string' }, excludedPredefinedFunctions: strings,
    enablePromptInjectionDetection: { type: 'boolean' }, disabledSafetyPolicies: strings,
  },
};

const systemInstruction = { type: 'object', properties: { parts: { type: 'array', items: part } } };
const tools = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      functionDeclarations: { type: 'array', items: functionDeclaration }, googleSearch, googleSearchRetrieval, codeExecution, urlContext,
      googleMaps, fileSearch, retrieval, enterpriseWebSearch, exaAiSearch, parallelAiSearch, mcpServers, computerUse,
    },
  },
};
const toolConfig = {
  type: 'object',
  properties: {
    functionCallingConfig: {
      type: 'object',
      properties: { mode: { enum: ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'] }, allowedFunctionNames: { type: 'array', items: { type: 'string' } } },
    },
    /** Sent on only by the gemini backend (Call.providerOptions.gemini). */
    retrievalConfig: { type: 'object', properties: { latLng: { type: 'object', properties: { latitude: { type: 'number' }, longitude: { type: 'number' } } }, languageCode: { type: 'string' } } },
    includeServerSideToolInvocations: { type: 'boolean' },
  },
};

export const generateContentSchema: Record<string, unknown> = {
  type: 'object',
  required: ['contents'],
  properties: {
    contents: { type: 'array', items: content },
    systemInstruction,
    tools,
    toolConfig,
    generationConfig: {
      type: 'object',
      properties: {
        temperature: { type: 'number' },
        topP: { type: 'number' },
        topK: { type: 'number' },
        maxOutputTokens: { type: 'integer' },
        candidateCount: { type: 'integer' },
        stopSequences: { type: 'array', items: { type: 'string' } },
        presencePenalty: { type: 'number' },
        frequencyPenalty: { type: 'number' },
        seed: { type: 'integer' },
        responseMimeType: { type: 'string' },
        responseSchema: { type: 'object' },
        responseJsonSchema: { type: 'object' },
        responseModalities: { type: 'array', items: { type: 'string' } },
        mediaResolution: { type: 'string' },
        /** Sent on only by the gemini backend (Call.providerOptions.gemini). */
        enableEnhancedCivicAnswers: { type: 'boolean' },
        responseLogprobs: { type: 'boolean' },
        logprobs: TOP_LOGPROBS_SCHEMA,
        thinkingConfig: {
          type: 'object',
          properties: { thinkingBudget: { type: 'integer' }, includeThoughts: { type: 'boolean' }, thinkingLevel: { type: 'string' } },
        },
      },
    },
    /**
     * A cached content's name (`cachedContents/...`), put in its place before the body is decoded
     * (cached-contents.ts): then an object with its name and cached fields, as recordings keep it.
     */
    cachedContent: {
      anyOf: [
        { type: 'string' },
        { type: 'object', required: ['name'], properties: { name: { type: 'string' }, contents: { type: 'array', items: content }, systemInstruction, tools, toolConfig } },
      ],
    },
    /** Sent on only by the gemini backend (Call.providerOptions.gemini). */
    serviceTier: { type: 'string' },
    /** Sent on only by the gemini backend (Call.providerOptions.gemini). */
    safetySettings: {
      type: 'array',
      items: { type: 'object', required: ['category', 'threshold'], properties: { category: { type: 'string' }, threshold: { type: 'string' }, method: { type: 'string' } } },
    },
    /** Vertex AI's Model Armor templates; sent on only by the gemini backend (a hosted capability, Call.providerOptions.gemini). */
    modelArmorConfig: {
      type: ['object', 'null'],
      properties: { promptTemplateName: { type: 'string' }, responseTemplateName: { type: 'string' } },
    },
    // Read for compatibility, not forwarded (Vertex AI billing labels).
    labels: { type: 'object' },
  },
};
