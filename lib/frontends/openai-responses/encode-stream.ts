import type { Call, CitationEvent, FinishReason, HostedToolEvent, LipEvent, TokenLogprob, ToolCaller, ToolCallFields, Usage, WebSearchEvent } from '../../canonical/index.js';
import { REASONING_DIALECTS, TextBuilder, hasUsage, mergeUsage } from '../../canonical/index.js';
import type { LipError } from '../../errors/index.js';
import { HeldOutput } from '../../wire/held-output.js';
import { finishedArguments } from '../function-arguments.js';
import { wireLogprobs } from '../logprobs.js';
import type { EncodeContext, StreamEncoder } from '../protocol.js';
import { callWireId, carryOpaque, sealState } from '../state-envelope.js';
import { responsesErrorObject } from './encode-error.js';
import { mapFinishReason } from './map-finish-reason.js';
import type { ResponsesHints } from './decode-request.js';
import { ResponseShell, callItem, callItemPrefix, callerForm, isToolSearchCall, messageItem, outputItemId, outputText, reasoningItem, refusalItem, refusalPart, type CallForm, type ItemStatus } from './response-object.js';
import { urlCitation, webSearchCallItem, webSearchItemId } from './web-search-call.js';
import { ownHostedItem } from './hosted-tools.js';
import { clientToolOf, ownCallFields, type ClientToolType } from './client-tools.js';
import { withAddedTools } from './additional-tools.js';

/** An output item while it streams. `at` is the JSON fragment `"item_id":…,"output_index":N`. */
interface OpenItem {
  readonly kind: 'message' | 'reasoning' | 'function_call' | 'custom_tool_call' | 'tool_search_call' | 'client_tool_call' | 'web_search_call' | 'hosted';
  /** A client tool's call (kind `client_tool_call`): which tool, so which item (client-tools.ts), and its own fields (a computer call's safety checks). */
  readonly client?: ClientToolType;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly index: number;
  readonly id: string;
  readonly at: string;
  /** Text or arguments so far (for the `.done` events). */
  readonly text: TextBuilder;
  readonly callId?: string;
  /** The canonical id of a call (its `callId` on the wire may carry state). */
  readonly key?: string;
  readonly name?: string;
  /** A call's namespace (function_call.namespace). */
  readonly namespace?: string;
  /** Who made a call, as this protocol writes it (a program's call: `{type: "program", caller_id}`). */
  readonly caller?: Readonly<Record<string, unknown>>;
  /** A message's token log probabilities so far (when the client asked for them). */
  logprobs?: TokenLogprob[];
  /** Where a message's text starts in the response's text (citations count from there). */
  readonly start?: number;
  /** The `url_citation`s of a message's output_text (the array its done item holds). */
  annotations?: unknown[];
  /** A message whose part is the model's refusal (`refusal`, not `output_text`). */
  refusal?: true;
}

/**
 * Events -> the Responses SSE event family. Every frame is `event: <type>` + `data:` with
 * `type` and a `sequence_number` counting from 0. Output items are opened with
 * `output_item.added` and closed with `output_item.done`, each at its `output_index`:
 * reasoning as one summary part (`reasoning_summary_*`), text as one `output_text` part
 * (`content_part.*`, `output_text.*`), tool calls as `function_call` items whose arguments
 * stream with `function_call_arguments.*` (parallel calls may interleave, each at its own
 * index; a custom tool's call is a `custom_tool_call` item whose input streams with
 * `custom_tool_call_input.*`; the `.done` events of a call that finished as the last item wait
 * for the next item, `completed`, or the end, `incomplete` when the output limit or a content
 * filter cut it, as the collected response says; a call of a client tool on OpenAI's schema is its own item,
 * `shell_call`, `apply_patch_call`, `local_shell_call` or `computer_call`, added in progress and
 * done whole, as the API streams them: client-tools.ts; a call a program made names it as its
 * `caller`, and a tool added by an `additional_tools` item is written as declared there). A text or reasoning item is closed before any other item opens. The stream ends with
 * `response.completed`, or `response.incomplete` for a length stop or content filter; a failure
 * after output is `response.failed` followed by an `error` event. Provider state travels in
 * the reasoning item's `encrypted_content` (another dialect's signature or opaque reasoning,
 * and OpenAI's own with its upstream item id, sealed: state-envelope.ts) and a call's own
 * signature in its `call_id`. A hosted web search is a `web_search_call` item (its own item,
 * closing the text before it): `output_item.added` (in_progress), `web_search_call.in_progress`
 * and `.searching` when it starts, `web_search_call.completed` (a failed one has none) and
 * `output_item.done` with its `search` action (query, and sources when the client's `include`
 * asked) when it ran; the id is the provider's own for an OpenAI search, else a `ws_` id made
 * from it. A hosted tool's item (code interpreter, image generation, MCP, ...: the provider's
 * own, hosted-tools.ts) is written as the provider streamed it: `output_item.added` with the item
 * as it was added, each of the provider's own events for it (`code_interpreter_call_code.delta`,
 * `image_generation_call.partial_image`, `mcp_call.completed`, ...) as it came, with this
 * stream's `output_index` and `sequence_number`, and `output_item.done` with the final item (a
 * `program` and its `program_output`, an OpenAI `compaction` item, alike); one
 * reported only once done (a whole upstream answer) is added and done at once, and one the
 * response ended before it was done is done as it stands. A citation is an `output_text.annotation.added` (`url_citation`, offsets in the
 * output_text it cites), after its text, and stays in that part's `annotations`; a citation of
 * text in a message already closed (a provider that reports its sources at the end) names that
 * item, and the final response shows it there. What it holds for the `.done`
 * events is bounded (HeldOutput: LIP_ERR_RESPONSE_TOO_LARGE past collect()'s limits).
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  private readonly shell: ResponseShell;
  private readonly context: EncodeContext;
  /** The request's call with the tools its history adds among its own (additional-tools.ts): every tool whose calls have a form here. */
  private readonly call: Call;
  private readonly output: unknown[] = [];
  private readonly calls = new Map<string, OpenItem>();
  private text: OpenItem | undefined;
  /** Message items closed so far, in order (a late citation may name one), and the length of their text. */
  private readonly closedMessages: OpenItem[] = [];
  private closedText = 0;
  /** Web searches started and not yet run, by canonical id; the ids of those done. */
  private searches: Map<string, OpenItem> | undefined;
  private searched: Set<string> | undefined;
  /** Hosted tools' items added and not yet done, by canonical id; the ids of those done. */
  private hosted: Map<string, OpenItem> | undefined;
  private hostedDone: Set<string> | undefined;
  private reasoning: OpenItem | undefined;
  /**
   * A call that finished as the last item so far, its `.done` events held back: the next item's
   * start shows it was complete; the response's end, whether the output limit cut it.
   */
  private lastCall: OpenItem | undefined;
  private sequence = 0;
  private started = false;
  private finished = false;
  private usage: Usage = {};
  private readonly held = new HeldOutput();
  /** The client asked for log probabilities (`include: ["message.output_text.logprobs"]`). */
  private readonly logprobs: boolean;
  /** The client asked for the sources of web searches (`include: ["web_search_call.action.sources"]`). */
  private readonly sources: boolean;
  /** The client declared its own tool search: a call of it is a tool_search_call. */
  private readonly toolSearch: boolean;

  constructor(context: EncodeContext) {
    this.context = context;
    this.call = withAddedTools(context.call);
    this.logprobs = context.call.options.logprobs !== undefined;
    this.sources = (context.hints as Partial<ResponsesHints>).includeSearchSources === true;
    this.toolSearch = this.call.tools.some((t) => t.kind === 'tool_search');
    this.shell = new ResponseShell(context);
  }

  private frame(type: string, fields: string): string {
    return `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.sequence++}${fields}}\n\n`;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = JSON.stringify(this.shell.build({ status: 'in_progress', output: [] }));
    // A background response is created queued (as its first retrieval shows it), then runs.
    const created = this.context.continuation?.background === true ? JSON.stringify(this.shell.build({ status: 'queued', output: [] })) : response;
    return this.frame('response.created', `,"response":${created}`) + this.frame('response.in_progress', `,"response":${response}`);
  }

  /**
   * Opens an item at the next output_index (a call held back as the last item is done first,
   * complete); its id is derived from the response's (`prefix`) unless `fixedId` is given.
   */
  private open(kind: OpenItem['kind'], prefix: string, item: (id: string) => Record<string, unknown>, extra: Partial<OpenItem> = {}, fixedId?: string): { item: OpenItem; text: string } {
    const held = this.releaseCall('completed');
    const index = this.output.length;
    const id = fixedId ?? outputItemId(this.context, prefix, index);
    const added = item(id);
    this.output.push(added);
    const open: OpenItem = { kind, index, id, at: `"item_id":"${id}","output_index":${index}`, text: new TextBuilder(), ...extra };
    return { item: open, text: held + this.frame('response.output_item.added', `,"output_index":${index},"item":${JSON.stringify(added)}`) };
  }

  private done(item: OpenItem, value: Record<string, unknown>): string {
    this.output[item.index] = value;
    return this.frame('response.output_item.done', `,"output_index":${item.index},"item":${JSON.stringify(value)}`);
  }

  private closeText(status: ItemStatus = 'completed'): string {
    const t = this.text;
    if (!t) return '';
    this.text = undefined;
    this.closedMessages.push(t);
    this.closedText += t.text.length;
    const whole = t.text.toString();
    const text = JSON.stringify(whole);
    if (t.refusal === true) {
      return this.frame('response.refusal.done', `,${t.at},"content_index":0,"refusal":${text}`)
        + this.frame('response.content_part.done', `,${t.at},"content_index":0,"part":${JSON.stringify(refusalPart(whole))}`)
        + this.done(t, refusalItem(t.id, whole, status));
    }
    const logprobs = t.logprobs ? JSON.stringify(wireLogprobs(t.logprobs)) : '[]';
    // The done item holds the annotations array itself: a later citation of this text lands in the final response too.
    const annotations = (t.annotations ??= []);
    return this.frame('response.output_text.done', `,${t.at},"content_index":0,"text":${text},"logprobs":${logprobs}`)
      + this.frame('response.content_part.done', `,${t.at},"content_index":0,"part":${JSON.stringify(outputText(whole, t.logprobs, annotations))}`)
      + this.done(t, messageItem(t.id, whole, status, t.logprobs, annotations));
  }

  private closeReasoning(encrypted?: string): string {
    const r = this.reasoning;
    if (!r) return '';
    this.reasoning = undefined;
    const text = r.text.toString();
    const part = JSON.stringify({ type: 'summary_text', text });
    return this.frame('response.reasoning_summary_text.done', `,${r.at},"summary_index":0,"text":${JSON.stringify(text)}`)
      + this.frame('response.reasoning_summary_part.done', `,${r.at},"summary_index":0,"part":${part}`)
      + this.done(r, reasoningItem(r.id, text, encrypted));
  }

  private closeCall(call: OpenItem, status: ItemStatus): string {
    this.calls.delete(call.key!);
    const args = finishedCallArguments(call);
    // A tool_search_call and a client tool's call have no argument events: the done item holds them.
    const done = call.kind === 'tool_search_call' || call.kind === 'client_tool_call' ? ''
      : call.kind === 'custom_tool_call'
        ? this.frame('response.custom_tool_call_input.done', `,${call.at},"input":${JSON.stringify(args)}`)
        : this.frame('response.function_call_arguments.done', `,${call.at},"arguments":${JSON.stringify(args)}`);
    return done + this.done(call, callItem(call.id, call.callId!, call.name!, args, status, formOf(call)));
  }

  /**
   * A call that finished: done at once when an item opened after it (it was complete), else held
   * back as the last item (lastCall) until the next item opens or the response ends: a call cut
   * off by the output limit is finished by the upstream too, and only the end tells.
   */
  private finishCall(call: OpenItem): string {
    if (call.index !== this.output.length - 1) return this.closeCall(call, 'completed');
    this.calls.delete(call.key!);
    this.lastCall = call;
    return '';
  }

  /** The held call's `.done` events, with `status`. */
  private releaseCall(status: ItemStatus): string {
    const call = this.lastCall;
    if (call === undefined) return '';
    this.lastCall = undefined;
    return this.closeCall(call, status);
  }

  /**
   * A function_call item for the call `id` (a custom_tool_call item for a custom call, with the
   * `namespace` of a namespaced tool's; a tool_search_call for the client's tool search), whose
   * `call_id` on the wire is `callId` (an id that may carry state); with its `caller` when a
   * program of this protocol's made it.
   */
  private openCall(id: string, name: string, callId = id, custom = false, namespace?: string, made: { readonly providerFields?: ToolCallFields; readonly caller?: ToolCaller } = {}): string {
    const client = clientToolOf(this.call, name, namespace);
    const own = client !== undefined ? { client, ...ownCallFields(made.providerFields) } : {};
    const caller = callerForm(made.caller);
    const form: CallForm = { custom, ...(namespace !== undefined ? { namespace } : {}), toolSearch: this.toolSearch && isToolSearchCall(this.call, name, namespace), ...own, ...caller };
    const kind = form.toolSearch ? 'tool_search_call' : client !== undefined ? 'client_tool_call' : custom ? 'custom_tool_call' : 'function_call';
    const { item, text } = this.open(kind, callItemPrefix(form), (itemId) => callItem(itemId, callId, name, '', 'in_progress', form), { callId, name, key: id, ...(namespace !== undefined ? { namespace } : {}), ...own, ...caller });
    this.calls.set(id, item);
    return text;
  }

  /** Closes the open reasoning item with `encrypted` as its encrypted_content, or sends one item holding only that. */
  private reasoningState(encrypted: string): string {
    if (this.reasoning) return this.closeReasoning(encrypted);
    const out = this.start() + this.closeText();
    const opened = this.open('reasoning', 'rs_', (id) => reasoningItem(id, undefined, undefined));
    return out + opened.text + this.done(opened.item, reasoningItem(opened.item.id, undefined, encrypted));
  }

  event(event: LipEvent): string {
    switch (event.type) {
      case 'response_started':
      case 'message_started':
        return this.start();
      case 'text_delta': {
        if (!event.text) return '';
        let out = this.start() + this.closeReasoning();
        // A refusal is a message of its own (its part is `refusal`): a change between text and refusal closes the message.
        if (this.text && (this.text.refusal === true) !== (event.refusal === true)) out += this.closeText();
        if (!this.text) {
          const opened = this.open('message', 'msg_', (id) => ({ id, type: 'message', status: 'in_progress', content: [], role: 'assistant' }), { start: this.closedText });
          this.text = opened.item;
          if (event.refusal === true) opened.item.refusal = true;
          out += opened.text + this.frame('response.content_part.added', `,${opened.item.at},"content_index":0,"part":${JSON.stringify(event.refusal === true ? refusalPart('') : outputText(''))}`);
        }
        this.held.add('text', event.text.length);
        this.text.text.append(event.text);
        if (event.refusal === true) return out + this.frame('response.refusal.delta', `,${this.text.at},"content_index":0,"delta":${JSON.stringify(event.text)}`);
        if (event.logprobs !== undefined && this.logprobs) {
          for (const entry of event.logprobs) (this.text.logprobs ??= []).push(entry);
          return out + this.frame('response.output_text.delta', `,${this.text.at},"content_index":0,"delta":${JSON.stringify(event.text)},"logprobs":${JSON.stringify(wireLogprobs(event.logprobs))}`);
        }
        return out + this.frame('response.output_text.delta', `,${this.text.at},"content_index":0,"delta":${JSON.stringify(event.text)},"logprobs":[]`);
      }
      case 'reasoning_delta': {
        if (!event.text) return '';
        let out = this.start() + this.closeText();
        if (!this.reasoning) {
          const opened = this.open('reasoning', 'rs_', (id) => reasoningItem(id, undefined, undefined));
          this.reasoning = opened.item;
          out += opened.text + this.frame('response.reasoning_summary_part.added', `,${opened.item.at},"summary_index":0,"part":{"type":"summary_text","text":""}`);
        }
        this.held.add('reasoning', event.text.length);
        this.reasoning.text.append(event.text);
        return out + this.frame('response.reasoning_summary_text.delta', `,${this.reasoning.at},"summary_index":0,"delta":${JSON.stringify(event.text)}`);
      }
      case 'reasoning_signature': { // another dialect's signature: sealed in the item's encrypted_content (the summary holds its text)
        if (event.dialect === undefined) return this.closeReasoning(); // of unknown dialect: no place in this protocol
        const out = event.standalone === true ? this.closeReasoning() : ''; // not the open item's: an item of its own
        return out + this.reasoningState(sealState({ dialect: event.dialect, signature: event.signature }));
      }
      case 'reasoning_opaque': // sealed unless it is this protocol's own without an item id to keep
        return this.reasoningState(carryOpaque(event, REASONING_DIALECTS.openaiResponses));
      case 'tool_call_started':
        return this.start() + this.closeText() + this.closeReasoning() + this.openCall(event.id, event.name, callWireId(event), event.custom === true, event.namespace, event);
      case 'tool_call_delta': {
        let out = '';
        if (!this.calls.has(event.id)) out += this.start() + this.closeText() + this.closeReasoning() + this.openCall(event.id, '');
        const call = this.calls.get(event.id)!;
        this.held.add('args', event.args.length);
        call.text.append(event.args);
        // Their arguments are JSON values of the item (a tool search's arguments, a shell's action), written whole when done.
        if (call.kind === 'tool_search_call' || call.kind === 'client_tool_call') return out;
        const type = call.kind === 'custom_tool_call' ? 'response.custom_tool_call_input.delta' : 'response.function_call_arguments.delta';
        return out + this.frame(type, `,${call.at},"delta":${JSON.stringify(event.args)}`);
      }
      case 'tool_call_finished': {
        const call = this.calls.get(event.id);
        return call ? this.finishCall(call) : '';
      }
      case 'web_search':
        return this.webSearch(event);
      case 'hosted_tool':
        return this.hostedTool(event);
      case 'citation':
        return this.citation(event);
      case 'usage':
        this.usage = mergeUsage(this.usage, event.usage);
        return '';
      case 'response_finished':
        return this.finish(event.reason);
      default:
        return ''; // warnings, error events (failures arrive through error())
    }
  }

  /**
   * A search's item: opened (after the text or reasoning before it is closed) when it starts,
   * done when it ran; a search reported only once it ran is opened and done at once.
   */
  private webSearch(event: WebSearchEvent): string {
    if (this.searched?.has(event.id)) return ''; // its item is done
    let out = '';
    let search = this.searches?.get(event.id);
    if (!search) {
      out += this.start() + this.closeText() + this.closeReasoning();
      const opened = this.open('web_search_call', 'ws_', (id) => webSearchCallItem(id, 'in_progress'), { key: event.id }, webSearchItemId(event));
      search = opened.item;
      out += opened.text + this.frame('response.web_search_call.in_progress', `,${search.at}`) + this.frame('response.web_search_call.searching', `,${search.at}`);
      if (event.status === 'searching') {
        (this.searches ??= new Map()).set(event.id, search);
        return out;
      }
    } else if (event.status === 'searching') {
      return ''; // already searching
    }
    this.searches?.delete(event.id);
    (this.searched ??= new Set()).add(event.id);
    this.held.add('text', (event.query?.length ?? 0) + (event.results?.reduce((n, r) => n + r.url.length, 0) ?? 0));
    if (event.status === 'completed') out += this.frame('response.web_search_call.completed', `,${search.at}`);
    return out + this.done(search, webSearchCallItem(search.id, event.status, event, this.sources));
  }

  /**
   * A hosted tool's item: opened (after the text or reasoning before it is closed) with the block
   * as added, its provider events in between, done with its final block. Another provider's
   * blocks and records of the whole message have no place here.
   */
  private hostedTool(event: HostedToolEvent): string {
    if (this.hostedDone?.has(event.id)) return '';
    let item = this.hosted?.get(event.id);
    if (event.phase === 'progress') return item !== undefined && event.update !== undefined ? this.hostedUpdate(item, event.update) : '';
    if (!ownHostedItem(event)) return '';
    const block = { ...event.block! };
    let out = '';
    if (!item) {
      out += this.start() + this.closeText() + this.closeReasoning();
      const fixed = typeof block.id === 'string' && block.id.length > 0 ? block.id : undefined;
      const opened = this.open('hosted', 'ht_', () => block, { key: event.id }, fixed);
      item = opened.item;
      out += opened.text;
      if (event.phase === 'added') {
        (this.hosted ??= new Map()).set(event.id, item);
        return out;
      }
    } else if (event.phase === 'added') {
      return ''; // already added
    }
    this.hosted?.delete(event.id);
    (this.hostedDone ??= new Set()).add(event.id);
    const done = this.done(item, block);
    this.held.add('args', done.length);
    return out + done;
  }

  /**
   * One of the provider's own events for a hosted item, as it came, at this stream's place of the
   * item. Only an event type of the provider's form is written (it becomes the SSE event name).
   */
  private hostedUpdate(item: OpenItem, update: Readonly<Record<string, unknown>>): string {
    const { type, sequence_number: _sequence, output_index: _index, ...fields } = update;
    if (typeof type !== 'string' || !/^response\.[a-z0-9_.]+$/.test(type)) return '';
    const rest = JSON.stringify(fields);
    return this.frame(type, `,"output_index":${item.index}${rest.length > 2 ? `,${rest.slice(1, -1)}` : ''}`);
  }

  /** A citation: an annotation of the message item whose text holds the start of the span (offsets made that output_text's). */
  private citation(event: CitationEvent): string {
    if (event.url === undefined) return ''; // a document's: url_citation names web pages only
    let target = this.text !== undefined && event.start >= this.text.start! ? this.text : undefined;
    for (let i = this.closedMessages.length - 1; target === undefined && i >= 0; i--) {
      if (event.start >= this.closedMessages[i]!.start! || i === 0) target = this.closedMessages[i];
    }
    if (target === undefined) return ''; // no text to cite
    const length = target.text.length;
    const start = Math.min(length, Math.max(0, event.start - target.start!));
    const end = Math.min(length, Math.max(start, event.end - target.start!));
    this.held.add('text', event.url.length + (event.title?.length ?? 0));
    const annotations = (target.annotations ??= []);
    const annotation = urlCitation(event, start, end);
    annotations.push(annotation);
    return this.frame('response.output_text.annotation.added', `,${target.at},"content_index":0,"annotation_index":${annotations.length - 1},"annotation":${JSON.stringify(annotation)}`);
  }

  private finish(reason: FinishReason | undefined): string {
    if (this.finished) return '';
    this.finished = true;
    const ending = mapFinishReason(reason);
    const status = ending.status === 'completed' ? 'completed' : 'incomplete';
    let out = this.start() + this.closeText(status) + this.closeReasoning() + this.releaseCall(status);
    for (const call of [...this.calls.values()]) out += this.closeCall(call, status);
    // A search the response ended before it ran: done as failed (the item has no incomplete status).
    for (const search of this.searches?.values() ?? []) out += this.done(search, webSearchCallItem(search.id, 'failed'));
    this.searches = undefined;
    // A hosted item the response ended before it was done: done as it stands.
    for (const item of this.hosted?.values() ?? []) out += this.done(item, this.output[item.index] as Record<string, unknown>);
    this.hosted = undefined;
    const response = this.shell.build({
      status: ending.status,
      output: this.output,
      ...(hasUsage(this.usage) ? { usage: this.usage } : {}),
      ...(ending.incompleteReason ? { incompleteReason: ending.incompleteReason } : {}),
    });
    return out + this.frame(ending.status === 'completed' ? 'response.completed' : 'response.incomplete', `,"response":${JSON.stringify(response)}`);
  }

  /** `response.failed` with the output so far, then an `error` event (the SDKs throw on it). */
  error(err: LipError): string {
    if (this.finished) return '';
    this.finished = true;
    const output = this.output.map((item, index) => this.snapshot(index) ?? item);
    const error = responsesErrorObject(err);
    const response = this.shell.build({ status: 'failed', output, ...(hasUsage(this.usage) ? { usage: this.usage } : {}), error: { code: error.code, message: error.message } });
    return this.start()
      + this.frame('response.failed', `,"response":${JSON.stringify(response)}`)
      + this.frame('error', `,"code":${JSON.stringify(error.code)},"message":${JSON.stringify(error.message)},"param":${JSON.stringify(error.param)},"error":${JSON.stringify(error)}`);
  }

  /** The current state of a still-open item, for the failed response. */
  private snapshot(index: number): unknown {
    if (this.text?.index === index) return this.text.refusal === true ? refusalItem(this.text.id, this.text.text.toString(), 'incomplete') : messageItem(this.text.id, this.text.text.toString(), 'incomplete', this.text.logprobs, this.text.annotations);
    if (this.reasoning?.index === index) return reasoningItem(this.reasoning.id, this.reasoning.text.toString(), undefined);
    for (const call of this.calls.values()) if (call.index === index) return callItem(call.id, call.callId!, call.name!, call.text.toString(), 'incomplete', formOf(call));
    // The last call, finished but held back: the item the response failed in, as a retrieval shows it.
    if (this.lastCall?.index === index) return callItem(this.lastCall.id, this.lastCall.callId!, this.lastCall.name!, finishedCallArguments(this.lastCall), 'incomplete', formOf(this.lastCall));
    for (const search of this.searches?.values() ?? []) if (search.index === index) return webSearchCallItem(search.id, 'in_progress');
    return undefined;
  }

  end(): string {
    return this.finish(undefined);
  }
}

/** A finished call's arguments: blank ones are `{}` (function-arguments.ts); a custom tool's input is raw text, blank or not. */
function finishedCallArguments(call: OpenItem): string {
  return call.kind === 'custom_tool_call' ? call.text.toString() : finishedArguments(call.text.toString());
}

/** How an open call's item is written. */
function formOf(call: OpenItem): CallForm {
  return {
    custom: call.kind === 'custom_tool_call', toolSearch: call.kind === 'tool_search_call',
    ...(call.namespace !== undefined ? { namespace: call.namespace } : {}), ...(call.client !== undefined ? { client: call.client } : {}),
    ...(call.fields !== undefined ? { fields: call.fields } : {}),
    ...(call.caller !== undefined ? { caller: call.caller } : {}),
  };
}
