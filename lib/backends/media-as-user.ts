import type { FilePart, ImagePart, Message, Part } from '../canonical/index.js';

/** What else a protocol has no place for media in (OpenAI Chat's tool messages take text only). */
export interface MediaMoves {
  /** The images and files of tool results move too, without the line naming them. */
  readonly fromToolResults?: boolean;
}

/**
 * The images and files of assistant messages, which no API but Gemini's takes from the assistant
 * (a Gemini image model's answer, handed back in the history), in a user message after their
 * turn, so that the model still sees them: after the assistant message that held them and the
 * tool results that answer its calls (a user message between a call and its result is refused),
 * where the tool results' own go too when the protocol takes none there (`fromToolResults`). The
 * assistant message keeps its place, its text and calls; one left with neither says what it held
 * (`[image]`), so that the turn is not dropped and the user turns around it merged. Its media come
 * with a line that names them the assistant's, as the model would otherwise read them as the
 * user's; a tool result's need none, right after the results. The same messages when there is
 * nothing to move.
 *
 * ```ts
 * mediaAsUser(messages)
 * // [user "draw a cat"] [assistant (image)] [user "make it blue"]
 * //   -> [user "draw a cat"] [assistant "[image]"] [user "The assistant gave this image in its message above:" (image)] [user "make it blue"]
 * ```
 * @see spec/backends/media-as-user.spec.ts
 */
export function mediaAsUser(messages: readonly Message[], { fromToolResults = false }: MediaMoves = {}): readonly Message[] {
  const moves = (m: Message) => (m.role === 'assistant' && m.parts.some(isMedia))
    || (fromToolResults && m.role === 'tool' && m.parts.some((p) => resultMedia(p).length > 0));
  if (!messages.some(moves)) return messages;
  const out: Message[] = [];
  let fromTools: (ImagePart | FilePart)[] = [];
  let fromAssistant: (ImagePart | FilePart)[] = [];
  const flush = () => {
    if (fromTools.length > 0) out.push({ role: 'user', parts: fromTools });
    if (fromAssistant.length > 0) out.push({ role: 'user', parts: [{ type: 'text', text: `The assistant gave ${these(fromAssistant)} in its message above:` }, ...fromAssistant] });
    fromTools = [];
    fromAssistant = [];
  };
  for (const m of messages) {
    if (m.role !== 'tool') flush();
    if (!moves(m)) {
      out.push(m);
    } else if (m.role === 'assistant') {
      const kept = m.parts.filter((p) => !isMedia(p));
      const media = m.parts.filter(isMedia);
      const said = kept.some((p) => (p.type === 'text' && p.text.length > 0) || p.type === 'tool_call');
      out.push({ ...m, parts: said ? kept : [...kept, { type: 'text', text: media.map((p) => `[${p.type}]`).join(' ') }] });
      fromAssistant.push(...media);
    } else {
      fromTools.push(...m.parts.flatMap(resultMedia));
      out.push({ ...m, parts: m.parts.map((p) => (p.type === 'tool_result' && typeof p.content !== 'string' ? { ...p, content: p.content.filter((c) => !isMedia(c)) } : p)) });
    }
  }
  flush();
  return out;
}

function isMedia(part: { readonly type: string }): part is ImagePart | FilePart {
  return part.type === 'image' || part.type === 'file';
}

/** The images and files of a tool result; none for any other part. */
function resultMedia(part: Part): (ImagePart | FilePart)[] {
  return part.type === 'tool_result' && typeof part.content !== 'string' ? part.content.filter(isMedia) : [];
}

/** `this image`, `these files`, `these images and files`. */
function these(media: readonly (ImagePart | FilePart)[]): string {
  const images = media.filter((p) => p.type === 'image').length;
  if (media.length === 1) return `this ${media[0]!.type}`;
  return images === media.length ? 'these images' : images === 0 ? 'these files' : 'these images and files';
}
