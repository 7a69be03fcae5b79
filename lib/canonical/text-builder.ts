/**
 * A string that grows by many small pieces (a stream's deltas) and costs about its own length.
 * `s += piece` makes V8 keep a concatenation node (~32 bytes) besides every piece until the
 * string is read whole: an upstream that streams one character at a time made text held that
 * way 30 times its length. Here a piece costs an array slot until RUN_PIECES of them are joined
 * into one run, and a run one node.
 *
 * ```ts
 * const text = new TextBuilder();
 * for (const delta of deltas) text.append(delta);
 * text.length;      // characters so far, without joining
 * text.toString();  // the whole text
 * ```
 * @see spec/canonical/text-builder.spec.ts
 */
export class TextBuilder {
  /** Characters appended so far. */
  length = 0;
  private joined = '';
  private pieces: string[] = [];

  constructor(text = '') {
    this.append(text);
  }

  append(piece: string): void {
    if (piece.length === 0) return;
    this.length += piece.length;
    this.pieces.push(piece);
    if (this.pieces.length >= RUN_PIECES) this.join();
  }

  toString(): string {
    if (this.pieces.length > 0) this.join();
    return this.joined;
  }

  private join(): void {
    this.joined += this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
    this.pieces = [];
  }
}

/** How many pieces are joined into one run. */
const RUN_PIECES = 256;
