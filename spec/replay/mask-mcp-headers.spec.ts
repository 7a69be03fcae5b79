import { expect } from 'chai';
import { maskMcpHeaders, maskMcpHeadersText, mayDeclareMcpServer } from '../../lib/replay/mask-mcp-headers.js';
import { Redactor } from '../../lib/replay/redact.js';

const OPENAI = { type: 'mcp', server_label: 'w', server_url: 'https://w.example/mcp', headers: { 'X-Tenant-Credential': 't-81', 'X-Trace': 'on' }, require_approval: { never: { tool_names: ['a'] } } };
const GEMINI = { mcpServers: [{ name: 'booking', streamableHttpTransport: { url: 'https://mcp.example/mcp', headers: { 'X-Tenant': 't-82' }, timeout: '30s' } }] };
/** A function whose parameters have a property named `headers` (an HTTP tool): its schema is no secret. */
const HTTP_TOOL = { type: 'function', name: 'fetch', parameters: { type: 'object', properties: { url: { type: 'string' }, headers: { type: 'object', description: 'sent as written' } } } };

describe('maskMcpHeaders', () => {
  it('masks every value of an OpenAI mcp tool\'s headers, at any depth (a body\'s tools, an additional_tools item, a call\'s hosted tool)', () => {
    const masked = { ...OPENAI, headers: { 'X-Tenant-Credential': '***', 'X-Trace': '***' } };
    expect(maskMcpHeaders({ tools: [OPENAI, HTTP_TOOL] })).to.deep.equal({ tools: [masked, HTTP_TOOL] });
    expect(maskMcpHeaders({ input: [{ type: 'additional_tools', tools: [OPENAI] }] })).to.deep.equal({ input: [{ type: 'additional_tools', tools: [masked] }] });
    expect(maskMcpHeaders({ tools: [{ name: 'mcp:w', providerTool: { dialect: 'openai.responses.hosted_tool', definition: OPENAI } }] }))
      .to.deep.equal({ tools: [{ name: 'mcp:w', providerTool: { dialect: 'openai.responses.hosted_tool', definition: masked } }] });
  });

  it('masks every value of a Gemini streamableHttpTransport\'s headers, snake_case too', () => {
    const headers = { 'X-Tenant': '***' };
    expect(maskMcpHeaders({ tools: [GEMINI] })).to.deep.equal({ tools: [{ mcpServers: [{ ...GEMINI.mcpServers[0], streamableHttpTransport: { ...GEMINI.mcpServers[0]!.streamableHttpTransport, headers } }] }] });
    for (const key of ['streamable_http_transport', 'streamable_httpTransport', 'streamableHttp_transport']) {
      expect(maskMcpHeaders({ mcp_servers: [{ [key]: { url: 'u', headers: { 'X-Tenant': 't-82' } } }] }), key).to.deep.equal({ mcp_servers: [{ [key]: { url: 'u', headers } }] });
    }
  });

  it('leaves everything else as it is: the value itself when nothing is masked, and never changes its input', () => {
    const record = { request: { method: 'POST', headers: { 'content-type': 'application/json', 'x-lip-route': 'or:c' }, body: { tools: [HTTP_TOOL], tool_choice: { type: 'mcp', server_label: 'w' } } } };
    expect(maskMcpHeaders(record)).to.equal(record);
    const body = { tools: [OPENAI, HTTP_TOOL] };
    const before = JSON.stringify(body);
    const masked = maskMcpHeaders(body);
    expect(JSON.stringify(body)).to.equal(before);
    expect(masked.tools[1]).to.equal(HTTP_TOOL);
    // A header that holds no string (no frontend takes one) keeps its shape.
    expect(maskMcpHeaders({ type: 'mcp', headers: { a: 1, b: null } })).to.deep.equal({ type: 'mcp', headers: { a: 1, b: null } });
  });
});

describe('maskMcpHeadersText', () => {
  it('masks the string values of the headers objects of text that may declare an MCP server, keeping the rest', () => {
    const text = '{"tools": [{"type" : "mcp", "headers": { "X-A": "s1", "X-B" : "s\\"2" }, "server_label": "w"}], "x": {"headers": {"n": "v"}';
    expect(maskMcpHeadersText(text)).to.equal('{"tools": [{"type" : "mcp", "headers": { "X-A": "***", "X-B" : "***" }, "server_label": "w"}], "x": {"headers": {"n": "***"}');
    expect(maskMcpHeadersText('{"a": {"headers": {"n": "v"}}')).to.equal('{"a": {"headers": {"n": "v"}}');
    // Read as far as it holds pairs of strings; cut short, what was read is masked.
    expect(maskMcpHeadersText('{"type":"mcp","headers":{"a":"1","b":2,"c":"3"}')).to.equal('{"type":"mcp","headers":{"a":"***","b":2,"c":"3"}');
    expect(maskMcpHeadersText('{"type":"mcp","headers":{"a":"unterminated')).to.equal('{"type":"mcp","headers":{"a":"unterminated');
  });

  it('keeps the characters past ASCII of a body\'s bytes in place (a byte that is not UTF-8 still fails a replay)', () => {
    expect(maskMcpHeadersText('{"type":"mcp","headers":{"a":"se\u00e9cret"}', true)).to.equal('{"type":"mcp","headers":{"a":"***\u00e9***"}');
  });

  it('is only run on text that may declare one', () => {
    expect(mayDeclareMcpServer(JSON.stringify({ tools: [OPENAI] }))).to.equal(true);
    expect(mayDeclareMcpServer(JSON.stringify(GEMINI))).to.equal(true);
    expect(maskMcpHeadersText('{"tools": [{"mcp_servers": [{"streamable_http_transport": {"headers": {"X": "v"}}}]}')).to.equal('{"tools": [{"mcp_servers": [{"streamable_http_transport": {"headers": {"X": "***"}}}]}');
    expect(mayDeclareMcpServer(JSON.stringify({ tools: [HTTP_TOOL], input: 'mcp' }))).to.equal(false);
  });
});

describe('Redactor: MCP servers\' headers', () => {
  it('serialises a value with them masked, and as it is with raw', () => {
    const body = { tools: [OPENAI] };
    expect(JSON.parse(new Redactor([], []).serialise(body))).to.deep.equal({ tools: [{ ...OPENAI, headers: { 'X-Tenant-Credential': '***', 'X-Trace': '***' } }] });
    expect(new Redactor([], [], true).serialise(body)).to.equal(JSON.stringify(body));
    expect(new Redactor([], [], true).unparsed('{"type":"mcp","headers":{"a":"s"')).to.equal('{"type":"mcp","headers":{"a":"s"');
  });
});
