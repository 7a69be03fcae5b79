/** Line and column (both 1-based) of a character offset in a text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Finds where a JSON text stops being valid: the offset of the first offending character and
 * what was expected there. Runs only after JSON.parse has failed (V8 does not always say where),
 * so it favours clarity over speed. Iterative, so deep nesting cannot overflow the stack.
 */
export function locateJsonError(text: string): { offset: number; reason: string } {
  let i = 0;
  const n = text.length;
  const stack: ('{' | '[')[] = [];
  const ws = () => { while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++; };
  const fail = (reason: string) => ({ offset: i, reason: i >= n ? 'unexpected end of input' : `${reason}, found ${JSON.stringify(text[i])}` });

  const value = (): string | undefined => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') { stack.push(c); i++; return undefined; }
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m) return 'expected a number';
      i += m[0].length;
      return undefined;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) { i += word.length; return undefined; }
    }
    return 'expected a value';
  };
  const string = (): string | undefined => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) { i++; return undefined; }
      if (c < 32) return 'control character in string';
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { i += 1; return 'bad \\u escape'; }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else { i += 1; return 'bad escape'; }
      } else i++;
    }
    return 'unterminated string';
  };

  // after: what the scanner expects next inside the innermost container
  let problem = value();
  if (problem) return fail(problem);
  let justOpened = stack.length > 0;
  while (stack.length > 0) {
    ws();
    const top = stack[stack.length - 1];
    if (top === '{') {
      if (justOpened && text[i] === '}') { stack.pop(); i++; justOpened = false; continue; }
      if (!justOpened) {
        if (text[i] === '}') { stack.pop(); i++; continue; }
        if (text[i] !== ',') return fail("expected ',' or '}'");
        i++; ws();
      }
      if (text[i] !== '"') return fail('expected a double-quoted property name');
      problem = string();
      if (problem) return fail(problem);
      ws();
      if (text[i] !== ':') return fail("expected ':' after the property name");
      i++;
    } else {
      if (justOpened && (ws(), text[i] === ']')) { stack.pop(); i++; justOpened = false; continue; }
      if (!justOpened) {
        if (text[i] === ']') { stack.pop(); i++; continue; }
        if (text[i] !== ',') return fail("expected ',' or ']'");
        i++;
      }
    }
    const depth = stack.length;
    problem = value();
    if (problem) return fail(problem);
    justOpened = stack.length > depth;
  }
  ws();
  if (i < n) return fail('unexpected text after the JSON value');
  return { offset: i, reason: 'invalid JSON' };
}
