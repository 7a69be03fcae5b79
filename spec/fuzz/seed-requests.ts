import { sealState } from '../../lib/frontends/state-envelope.js';
import type { Json } from './json-mutations.js';

/**
 * Valid requests per client protocol, the seeds the decoder fuzzing mutates. Between them they
 * reach every branch of the decoders: system prompts in each form, images and files from data,
 * URLs and ids, reasoning with signatures and opaque blobs, tool definitions, calls, results
 * and every tool_choice form, response formats, cache breakpoints in every client form, lip's
 * compaction items, Anthropic system messages. Each one decodes (spec/fuzz asserts it).
 */
const schema = { type: 'object', properties: { city: { type: 'string', description: 'a city' }, days: { type: 'integer', minimum: 1 } }, required: ['city'] };

const chat: Json[] = [
  { model: 'stub:stub-default', messages: [{ role: 'user', content: 'hi' }] },
  {
    model: 'gpt-5.6', prompt_cache_options: { mode: 'implicit' },
    messages: [
      { role: 'developer', content: [{ type: 'text', text: 'rules', prompt_cache_breakpoint: { mode: 'explicit' } }] },
      { role: 'user', content: [{ type: 'text', text: 'look', prompt_cache_breakpoint: { mode: 'explicit' } }, { type: 'file', file: { file_id: 'file-1' }, prompt_cache_breakpoint: { mode: 'explicit' } }] },
    ],
  },
  {
    model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
      { role: 'user', content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,aGk=', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
      ] },
      { role: 'assistant', content: null, reasoning_content: 'hmm', tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'get', arguments: '{"a":1}' } },
        { id: 'c2', type: 'function', function: { name: 'put', arguments: '' } },
      ] },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
      { role: 'user', content: 'next' },
    ],
    tools: [{ type: 'function', function: { name: 'get', description: 'd', parameters: schema } }, { type: 'function', function: { name: 'put' } }],
    tool_choice: { type: 'function', function: { name: 'get' } },
    temperature: 0.2, top_p: 0.9, max_completion_tokens: 20, stop: ['END', 'STOP'], seed: 7,
    reasoning_effort: 'high', verbosity: 'low', parallel_tool_calls: false,
    response_format: { type: 'json_schema', json_schema: { name: 'r', schema, strict: true } },
    metadata: { k: 'v' }, user: 'u1',
  },
  {
    model: 'gpt-x',
    messages: [
      { role: 'user', content: 'patch it' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_c', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } }] },
      { role: 'tool', tool_call_id: 'call_c', content: 'Done' },
    ],
    tools: [{ type: 'custom', custom: { name: 'apply_patch', description: 'd', format: { type: 'grammar', grammar: { syntax: 'regex', definition: '.+' } } } }],
    tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
  },
  { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hear' }, { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }] }], logprobs: true, top_logprobs: 2, moderation: { model: 'omni-moderation-latest', policy: { input: { mode: 'block' } } } },
  {
    model: 'm', messages: [{ role: 'user', content: 'x' }],
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }, { type: 'custom', custom: { name: 'g' } }, { type: 'function', function: { name: 'h' } }],
    tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }, { type: 'custom', custom: { name: 'g' } }] } },
  },
  { model: 'a:m|b:m', messages: [{ role: 'user', content: 'x' }], tool_choice: 'required', tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }], response_format: { type: 'json_object' }, max_tokens: 5 },
  {
    model: 'gpt-5-search-api', web_search_options: { search_context_size: 'low', user_location: { type: 'approximate', approximate: { city: 'Paris', country: 'FR', region: 'IDF', timezone: 'Europe/Paris' } } },
    messages: [{ role: 'user', content: 'news?' }, { role: 'assistant', content: 'It rains.', annotations: [{ type: 'url_citation', url_citation: { start_index: 3, end_index: 8, url: 'https://a.example', title: 'A' } }] }, { role: 'user', content: 'more' }],
    tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required',
  },
];

const responses: Json[] = [
  { model: 'stub:stub-default', input: 'hi' },
  {
    model: 'gpt-x', input: 'hi', instructions: 'Be brief.', stream: true, temperature: 0.5, top_p: 0.8, max_output_tokens: 300,
    reasoning: { effort: 'high', summary: 'auto' }, text: { verbosity: 'low', format: { type: 'json_schema', name: 'out', schema, strict: true } },
    parallel_tool_calls: false, metadata: { k: 'v' }, safety_identifier: 'user-7', include: ['reasoning.encrypted_content'], store: false,
  },
  {
    model: 'gpt-x',
    input: [
      { role: 'developer', content: 'D1' },
      { role: 'user', content: [
        { type: 'input_text', text: 'look' },
        { type: 'input_image', image_url: 'data:image/png;base64,aGk=', detail: 'high' },
        { type: 'input_image', image_url: 'https://example.com/a.png' },
        { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
        { type: 'input_file', file_url: 'https://example.com/c.pdf' },
        { type: 'input_file', file_id: 'file-123' },
      ] },
      { type: 'reasoning', id: 'rs_1', encrypted_content: 'ENC', summary: [{ type: 'summary_text', text: 'First.' }, { type: 'summary_text', text: 'Second.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', id: 'fc_1' },
      { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '12:00' }] },
    ],
    tools: [{ type: 'function', name: 'get_weather', description: 'd', parameters: schema, strict: true }, { type: 'function', name: 'get_time' }],
    tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_weather' }, { type: 'function', name: 'get_time' }] },
  },
  { model: 'm', input: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', name: 'w', parameters: { type: 'object' } }], tool_choice: { type: 'function', name: 'w' }, previous_response_id: 'resp_1', store: true },
  {
    model: 'gpt-x', stream: true,
    input: [
      { role: 'user', content: 'patch it' },
      { type: 'custom_tool_call', call_id: 'call_c', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch' },
      { type: 'custom_tool_call_output', call_id: 'call_c', output: 'Done' },
    ],
    tools: [{ type: 'custom', name: 'apply_patch', description: 'd', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' } }, { type: 'custom', name: 'shell', format: { type: 'text' } }],
    tool_choice: { type: 'custom', name: 'apply_patch' },
  },
  {
    model: 'gpt-5.6', prompt_cache_options: { mode: 'explicit', ttl: '30m' }, prompt_cache_key: 'conv-1',
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules', prompt_cache_breakpoint: { mode: 'explicit' } }] },
      { role: 'user', content: 'start' },
      { type: 'compaction', encrypted_content: sealState({ dialect: 'lip.compaction', text: 'earlier turns, summarised' }) },
      { role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png', prompt_cache_breakpoint: { mode: 'explicit' } }, { type: 'input_text', text: 'and this' }] },
    ],
  },
  {
    model: 'm', include: ['web_search_call.action.sources'],
    input: [
      { role: 'user', content: 'weather?' },
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'paris weather', sources: [{ type: 'url', url: 'https://a.example' }] } },
      { type: 'web_search_call', status: 'completed', action: { type: 'open_page', url: 'https://a.example/p' } },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'It rains.', annotations: [{ type: 'url_citation', start_index: 3, end_index: 8, url: 'https://a.example', title: 'A' }] }] },
      { role: 'user', content: 'more' },
    ],
    tools: [{ type: 'web_search', filters: { allowed_domains: ['a.example'] }, search_context_size: 'high', user_location: { type: 'approximate', city: 'Paris', country: 'FR' }, external_web_access: false }],
    tool_choice: { type: 'web_search' },
  },
  {
    model: 'm', include: ['code_interpreter_call.outputs'],
    input: [
      { role: 'user', content: 'compute 2**100 and draw it' },
      { type: 'code_interpreter_call', id: 'ci_1', status: 'completed', code: 'print(2**100)', container_id: 'cntr_1', outputs: [{ type: 'logs', logs: '1267650600228229401496703205376' }] },
      { type: 'image_generation_call', id: 'ig_1', status: 'completed', result: 'iVBORw0KGgo=' },
      { type: 'mcp_list_tools', id: 'mcpl_1', server_label: 'docs', tools: [{ name: 'search', input_schema: { type: 'object' } }] },
      { type: 'mcp_approval_request', id: 'mcpr_1', server_label: 'docs', name: 'search', arguments: '{"q":"x"}' },
      { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true },
      { role: 'user', content: 'again' },
    ],
    tools: [
      { type: 'code_interpreter', container: { type: 'auto' } },
      { type: 'image_generation', quality: 'low' },
      { type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example/sse', require_approval: 'never' },
      { type: 'file_search', vector_store_ids: ['vs_1'] },
    ],
    tool_choice: { type: 'code_interpreter' },
  },
  {
    model: 'm',
    input: [
      { role: 'user', content: 'book it, then patch the file' },
      { type: 'tool_search_call', call_id: 'ts_1', execution: 'client', status: 'completed', arguments: { query: 'calendar', limit: 5 } },
      { type: 'tool_search_output', call_id: 'ts_1', execution: 'client', status: 'completed', tools: [{ type: 'namespace', name: 'mcp__calendar', description: 'Calendar', tools: [{ type: 'function', name: 'create_event', parameters: { type: 'object' }, defer_loading: true }] }] },
      { type: 'function_call', call_id: 'c_1', namespace: 'mcp__calendar', name: 'create_event', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c_1', output: 'booked' },
      { type: 'shell_call', call_id: 'sh_1', status: 'completed', action: { commands: ['ls'], timeout_ms: null, max_output_length: null } },
      { type: 'shell_call_output', call_id: 'sh_1', output: [{ stdout: 'a.py\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] },
      { type: 'apply_patch_call', call_id: 'ap_1', status: 'completed', operation: { type: 'update_file', path: 'a.py', diff: '@@\n-x\n+y\n' } },
      { type: 'apply_patch_call_output', call_id: 'ap_1', status: 'completed', output: 'done' },
      { role: 'user', content: 'again' },
    ],
    tools: [
      { type: 'namespace', name: 'mcp__calendar', description: 'Calendar', tools: [{ type: 'function', name: 'create_event', parameters: { type: 'object' }, defer_loading: true }] },
      { type: 'tool_search', execution: 'client', description: 'Find tools', parameters: { type: 'object', properties: { query: { type: 'string' } } } },
      { type: 'shell', environment: { type: 'local' } },
      { type: 'apply_patch' },
    ],
  },
  {
    model: 'm',
    input: [
      { role: 'user', content: 'open the docs' },
      { type: 'computer_call', id: 'cu_1', call_id: 'call_cu1', status: 'completed', actions: [{ type: 'click', button: 'left', x: 10, y: 20 }, { type: 'type', text: 'hi' }], pending_safety_checks: [{ id: 'sc_1', code: 'malicious_instructions', message: 'check' }] },
      { type: 'computer_call_output', call_id: 'call_cu1', output: { type: 'computer_screenshot', image_url: 'data:image/png;base64,iVBO' }, acknowledged_safety_checks: [{ id: 'sc_1' }] },
      { type: 'computer_call', id: 'cu_2', call_id: 'call_cu2', status: 'completed', action: { type: 'scroll', x: 1, y: 2, scroll_x: 0, scroll_y: 300 }, pending_safety_checks: [] },
      { type: 'computer_call_output', call_id: 'call_cu2', output: { type: 'computer_screenshot', image_url: 'data:image/png;base64,iVBO' } },
    ],
    tools: [{ type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' }],
    tool_choice: { type: 'computer_use_preview' },
  },
  {
    model: 'm',
    input: [
      { type: 'compaction', id: 'cmp_1', encrypted_content: 'gAAAAABo-compacted' },
      { role: 'user', content: 'difference of the temperatures?' },
      { id: 'prog_1', type: 'program', call_id: 'call_prog1', code: 'return 1;', fingerprint: 'fp_1' },
      { type: 'function_call', call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', caller: { type: 'program', caller_id: 'call_prog1' } },
      { type: 'function_call_output', call_id: 'call_w1', output: '{"temp":21}', caller: { type: 'program', caller_id: 'call_prog1' } },
      { id: 'progo_1', type: 'program_output', call_id: 'call_prog1', result: '9', status: 'completed' },
      { type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'write_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }, { type: 'shell', environment: { type: 'local' } }] },
      { role: 'user', content: 'now write it' },
    ],
    tools: [
      { type: 'programmatic_tool_calling' },
      { type: 'function', name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } } }, allowed_callers: ['programmatic'] },
    ],
    context_management: [{ type: 'compaction', compact_threshold: 200000 }],
  },
];

const anthropic: Json[] = [
  { model: 'claude-x', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] },
  {
    model: 'claude-x', max_tokens: 256, stream: true, temperature: 0.3, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u-1' },
    system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Be kind.', cache_control: { type: 'ephemeral' } }],
    thinking: { type: 'enabled', budget_tokens: 1024 }, output_config: { effort: 'high' },
    messages: [
      { role: 'user', content: [
        { type: 'text', text: 'weather?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'aGk=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
        { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'spec.pdf' },
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
      ] },
      { role: 'assistant', content: [
        { type: 'thinking', thinking: 'Need the tool.', signature: 'sig-a' },
        { type: 'redacted_thinking', data: 'ENCRYPTED' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 't2', name: 'get_time', input: {} },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'boom' }], is_error: true },
        { type: 'text', text: 'and now?' },
      ] },
    ],
    tools: [{ name: 'get_weather', description: 'd', input_schema: schema }, { type: 'custom', name: 'get_time', input_schema: { type: 'object' } }],
    tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
  },
  { model: 'claude-x', max_tokens: 1, system: 'Short.', thinking: { type: 'adaptive' }, messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'any' }, tools: [{ name: 'f', input_schema: { type: 'object' }, strict: true }] },
  {
    model: 'claude-x', max_tokens: 64, cache_control: { type: 'ephemeral', ttl: '1h' }, inference_geo: 'us', speed: 'fast',
    output_config: { format: { type: 'json_schema', schema } }, context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
    messages: [{ role: 'system', content: 'lead' }, { role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }, { role: 'system', content: [{ type: 'text', text: 'mid' }] }, { role: 'user', content: 'q2' }],
  },
  {
    model: 'claude-x', max_tokens: 256,
    tools: [
      { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000, cache_control: { type: 'ephemeral' } },
      { type: 'computer_20251124', name: 'computer', display_width_px: 1024, display_height_px: 768, display_number: 1, enable_zoom: true },
      { type: 'bash_20250124', name: 'bash' },
    ],
    tool_choice: { type: 'tool', name: 'str_replace_based_edit_tool' },
    messages: [
      { role: 'user', content: 'fix /repo/a.py' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'str_replace_based_edit_tool', input: { command: 'view', path: '/repo/a.py' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '1: x = 1' }] },
    ],
  },
  {
    model: 'claude-x', max_tokens: 64,
    tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3, allowed_domains: ['a.example'], user_location: { type: 'approximate', city: 'Paris', region: 'IDF', country: 'FR', timezone: 'Europe/Paris' } }, { name: 'f', input_schema: { type: 'object' } }],
    messages: [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: [
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'paris weather' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://a.example', title: 'A', encrypted_content: 'enc', page_age: '1 day' }] },
        { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_search', input: { query: 'again' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_2', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } },
        { type: 'text', text: 'It rains.', citations: [{ type: 'web_search_result_location', url: 'https://a.example', title: 'A', encrypted_index: 'ei', cited_text: 'rain' }] },
      ] },
      { role: 'user', content: 'more' },
    ],
  },
  {
    model: 'claude-x', max_tokens: 64, tools: [{ name: 'kb', input_schema: { type: 'object' } }],
    messages: [
      { role: 'user', content: [{ type: 'search_result', source: 'https://a.example', title: 'A', content: [{ type: 'text', text: 'one' }], citations: { enabled: true } }, { type: 'text', text: 'q' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'kb', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'search_result', source: 's', title: 'T', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }] }] },
      { role: 'assistant', content: [{ type: 'text', text: 'ok', citations: [{ type: 'search_result_location', source: 's', title: 'T', cited_text: 'x', search_result_index: 0, start_block_index: 0, end_block_index: 1 }] }] },
      { role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc' }, citations: { enabled: true } }, { type: 'text', text: 'cite' }] },
    ],
  },
  {
    model: 'claude-x', max_tokens: 64, container: 'container_011CQUiFJv',
    tools: [{ type: 'code_execution_20250825', name: 'code_execution' }, { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2, citations: { enabled: true } }],
    messages: [
      { role: 'user', content: 'Run it, then read https://a.example' },
      { role: 'assistant', content: [
        { type: 'server_tool_use', id: 'srvtoolu_3', name: 'bash_code_execution', input: { command: 'python -c "print(1)"' } },
        { type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_3', content: { type: 'bash_code_execution_result', stdout: '1\n', stderr: '', return_code: 0, content: [] } },
        { type: 'server_tool_use', id: 'srvtoolu_4', name: 'web_fetch', input: { url: 'https://a.example' } },
        { type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_4', content: { type: 'web_fetch_result', url: 'https://a.example', retrieved_at: '2026-12-01T00:00:00Z', content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'A page.' }, title: 'A' } } },
        { type: 'text', text: 'It printed 1; the page says hello.' },
      ] },
      { role: 'user', content: 'more' },
    ],
  },
  {
    model: 'claude-x', max_tokens: 64,
    mcp_servers: [{ type: 'url', url: 'https://mcp.example/sse', name: 'docs', authorization_token: 'tok' }],
    tools: [
      { type: 'mcp_toolset', mcp_server_name: 'docs' },
      { name: 'ToolSearch', input_schema: { type: 'object', properties: { query: { type: 'string' } } } },
      { name: 'mcp__cal__create', input_schema: { type: 'object' }, defer_loading: true, allowed_callers: ['direct'] },
    ],
    messages: [
      { role: 'user', content: 'find the calendar tool' },
      { role: 'assistant', content: [
        { type: 'tool_use', id: 't1', name: 'ToolSearch', input: { query: 'calendar' } },
      ] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'tool_reference', tool_name: 'mcp__cal__create' }] }] },
      { role: 'assistant', content: [
        { type: 'mcp_tool_use', id: 'mcptoolu_1', name: 'search', server_name: 'docs', input: { q: 'x' } },
        { type: 'mcp_tool_result', tool_use_id: 'mcptoolu_1', is_error: false, content: [{ type: 'text', text: 'found' }] },
        { type: 'text', text: 'Found it.' },
      ] },
      { role: 'user', content: 'more' },
    ],
  },
  {
    model: 'claude-x', max_tokens: 64,
    tools: [
      { type: 'browser_toolset_20260801', configs: { read_console: { enabled: true } }, cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      { role: 'user', content: 'click it' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'left_click', input: { coordinate: [40, 50] }, toolset_name: 'browser' }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', toolset_name: 'browser', content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } },
        { type: 'browser_state', tabs: [{ tab_id: 't1', title: 'Docs', url: 'https://docs.example/', active: true }], state_changes: [{ type: 'tab_opened', tab_id: 't1' }] },
      ] }] },
    ],
  },
  {
    model: 'claude-x', max_tokens: 64,
    context_management: { edits: [{ type: 'clear_thinking_20251015' }, { type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50000 }, pause_after_compaction: true, instructions: 'Keep paths.' }] },
    tools: [{ type: 'advisor_20260301', name: 'advisor', model: 'claude-opus-4-6', max_uses: 2 }, { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } } }],
    messages: [
      { role: 'user', content: [{ type: 'compaction', content: 'We fixed add().', encrypted_content: 'Eo4B' }, { type: 'text', text: 'Go on.' }] },
      { role: 'assistant', content: [
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'advisor', input: {} },
        { type: 'advisor_tool_result', tool_use_id: 'srvtoolu_1', content: { type: 'advisor_result', text: 'Check the sign.' } },
        { type: 'text', text: 'Done.' },
      ] },
      { role: 'user', content: [{ type: 'compaction', content: null, encrypted_content: 'Eo4B' }, { type: 'text', text: 'more' }] },
    ],
  },
  {
    // The beta's request fields: a thread, billing, thinking's block binding, a task budget, an image's transformations.
    model: 'claude-x', max_tokens: 64,
    thread: { type: 'continue', previous_message_id: 'msg_01' },
    billing_policy: { type: 'billing_policy', bill_to: 'self' },
    thinking: { type: 'adaptive', display: 'omitted', block_binding: { prefix_mismatch_behavior: 'drop_block' } },
    output_config: { effort: 'high', task_budget: { type: 'tokens', total: 400000, remaining: 1000 } },
    fallbacks: 'default',
    messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' }, transformations: { oversized_image: 'error' } },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Rotate keys every 90 days.' }, title: 'policy.txt', context: 'Written by the security team.' },
      { type: 'text', text: 'What is on the screen?' },
    ] }],
  },
];

const gemini: Json[] = [
  { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
  {
    systemInstruction: { parts: [{ text: 'Be brief.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'weather?' }, { inlineData: { mimeType: 'image/png', data: 'iVBO' } }, { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/a.jpg' } }] },
      { role: 'model', parts: [
        { text: 'Let me ', thought: true }, { text: '', thought: true, thoughtSignature: 'sig-t' },
        { text: 'Checking.', thoughtSignature: 'sig-text' },
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-fc' },
        { functionCall: { id: 'fc-2', name: 'get_time', args: {} } },
      ] },
      { role: 'user', parts: [{ functionResponse: { id: 'fc-2', name: 'get_time', response: { t: '12:00' } } }, { functionResponse: { name: 'get_weather', response: { sky: 'clear' } } }] },
    ],
    generationConfig: {
      temperature: 0.2, topP: 0.9, topK: 32, maxOutputTokens: 100, stopSequences: ['END'], seed: 7, presencePenalty: 0.5,
      responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING', nullable: true } } },
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    },
    tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: schema }, { name: 'get_time', description: 'B', parameters: { type: 'OBJECT', properties: { zone: { type: 'STRING' } } } }] }],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } },
  },
  {
    system_instruction: { parts: [{ text: 'S' }] },
    contents: [{ role: 'user', parts: [{ inline_data: { mime_type: 'image/png', data: 'iVBO' } }, { text: 'what is it?' }] }],
    generation_config: { max_output_tokens: 9, thinkingConfig: { thinkingBudget: -1, thinkingLevel: 'HIGH' } },
    tools: [{ function_declarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { snake_case_arg: { type: 'STRING' } } } }] }],
  },
  {
    contents: [{ role: 'user', parts: [{ text: 'call one' }] }],
    tools: [{ functionDeclarations: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'c'] } },
    safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    generationConfig: { mediaResolution: 'MEDIA_RESOLUTION_LOW' },
  },
  {
    contents: [{ role: 'user', parts: [{ text: 'weather?' }] }],
    tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object' } }], googleSearch: { timeRangeFilter: { startTime: '2025-01-01T00:00:00Z', endTime: '2025-02-01T00:00:00Z' } } }],
    toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['f'] } },
  },
  { contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools: [{ google_search: {} }] },
  {
    contents: [
      { role: 'user', parts: [{ text: 'compute 2**100, and summarise https://a.example' }] },
      { role: 'model', parts: [{ executableCode: { language: 'PYTHON', code: 'print(2**100)' } }, { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1267650600228229401496703205376\n' } }, { text: 'Done.' }] },
      { role: 'user', parts: [{ text: 'again' }] },
    ],
    tools: [{ codeExecution: {} }, { urlContext: {} }],
  },
  {
    contents: [
      { role: 'user', parts: [{ text: 'weather in the northernmost city?' }] },
      { role: 'model', parts: [
        { toolCall: { id: 'tc_1', toolType: 'GOOGLE_SEARCH_WEB', args: { queries: ['northernmost city'] } }, thoughtSignature: 'c2ln' },
        { toolResponse: { id: 'tc_1', toolType: 'GOOGLE_SEARCH_WEB', response: { search_suggestions: '<div/>' } } },
        { functionCall: { name: 'click_at', args: { x: 10, y: 20 } } },
      ] },
      { role: 'user', parts: [{ functionResponse: { name: 'click_at', response: { url: 'https://a.example' }, parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBO' } }] } }] },
    ],
    tools: [
      { googleSearch: {}, googleMaps: { enableWidget: true }, functionDeclarations: [{ name: 'getWeather', parametersJsonSchema: schema }] },
      { fileSearch: { fileSearchStoreNames: ['fileSearchStores/manuals-1'], metadataFilter: 'lang = "en"' } },
      { mcpServers: [{ name: 'docs', streamableHttpTransport: { url: 'https://mcp.example/mcp', headers: { Authorization: 'Bearer tok-0123456789' } } }] },
      { computerUse: { environment: 'ENVIRONMENT_BROWSER', excludedPredefinedFunctions: ['drag_and_drop'] } },
    ],
    toolConfig: { includeServerSideToolInvocations: true, retrievalConfig: { latLng: { latitude: 71.29, longitude: -156.79 } } },
  },
  {
    contents: [{ role: 'user', parts: [{ text: 'Tell me about the fox.' }] }],
    serviceTier: 'flex', continuationToken: 'tok-1', store: false,
    generationConfig: { enableEnhancedCivicAnswers: true, maxOutputTokens: 64 },
  },
  // A request naming a cached content, as it is decoded (and recorded) once the name was looked up.
  {
    cachedContent: {
      name: 'cachedContents/abc',
      contents: [{ role: 'user', parts: [{ text: 'The manual.' }] }, { role: 'model', parts: [{ text: 'Read.' }, { functionCall: { name: 'lookup', args: { q: 'x' } } }] }],
      systemInstruction: { parts: [{ text: 'Use it.' }] },
      tools: [{ functionDeclarations: [{ name: 'lookup', parametersJsonSchema: schema }] }],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    },
    contents: [{ role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { found: true } } }] }, { role: 'model', parts: [{ text: 'Found.' }] }],
  },
];

/** Seeds by frontend id. */
export const SEED_REQUESTS: Readonly<Record<string, readonly Json[]>> = { 'openai-chat': chat, 'openai-responses': responses, anthropic, gemini };

const content = (...texts: string[]) => ({ role: 'user', parts: texts.map((text) => ({ text })) });

/**
 * Valid embeddings requests by route path (the decoders of lib/frontends/<protocol>/embeddings.ts):
 * one text and several, every option, snake_case Gemini keys. Each one decodes.
 */
export const SEED_EMBEDDINGS: Readonly<Record<string, readonly Json[]>> = {
  '/v1/embeddings': [
    { model: 'stub:stub-default', input: 'hi' },
    { model: 'a:m|b:m', input: ['one', 'two', ''], encoding_format: 'base64', dimensions: 256, user: 'u1' },
    { model: 'm', input: ['x'], encoding_format: 'float', dimensions: null, user: null },
  ],
  '/v1beta/models/{model}:embedContent': [
    { content: content('hi') },
    { model: 'models/gemini-x', content: content('a', 'b'), taskType: 'RETRIEVAL_DOCUMENT', title: 'doc', outputDimensionality: 64 },
    { content: { parts: [{ text: 'snake' }] }, task_type: 'CLUSTERING', output_dimensionality: 8 },
  ],
  '/v1beta/models/{model}:batchEmbedContents': [
    { requests: [{ content: content('hi') }] },
    { requests: [{ model: 'models/gemini-x', content: content('a'), taskType: 'RETRIEVAL_QUERY', outputDimensionality: 3 }, { content: content('b', 'c'), taskType: 'RETRIEVAL_QUERY', outputDimensionality: 3 }] },
  ],
};

