import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dependency rules of ARCHITECTURE.md, checked by reading every import under lib/.
 */
const LIB = fileURLToPath(new URL('../lib/', import.meta.url));

interface Source { file: string; area: string; sub: string | undefined; code: string; imports: string[] }

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Code without comments (and without the contents of string literals that are doc examples). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const sources: Source[] = walk(LIB).map((path) => {
  const rel = relative(LIB, path).split(sep);
  const text = readFileSync(path, 'utf8');
  const imports = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|import\s+'([^']+)'/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(LIB, resolve(dirname(path), spec)).split(sep).join('/'));
  return { file: rel.join('/'), area: rel[0]!, sub: rel.length > 2 ? rel[1] : undefined, code: stripComments(text), imports };
});

const areaOf = (target: string) => target.split('/')[0]!;
const subOf = (target: string) => (target.split('/').length > 2 ? target.split('/')[1] : undefined);

function violations(pick: (s: Source) => boolean, allowed: (target: string, s: Source) => boolean): string[] {
  return sources.filter(pick).flatMap((s) => s.imports.filter((t) => !allowed(t, s)).map((t) => `${s.file} imports ${t}`));
}

describe('architecture', () => {
  it('finds the source tree', () => {
    expect(sources.length).to.be.greaterThan(30);
    expect(sources.some((s) => s.imports.length > 0)).to.equal(true);
  });

  it('canonical/ imports nothing else from lib/', () => {
    expect(violations((s) => s.area === 'canonical', (t) => areaOf(t) === 'canonical')).to.deep.equal([]);
  });

  it('errors/ imports nothing else from lib/', () => {
    expect(violations((s) => s.area === 'errors', (t) => areaOf(t) === 'errors')).to.deep.equal([]);
  });

  it('wire/ imports only canonical/ and errors/', () => {
    expect(violations((s) => s.area === 'wire', (t) => ['wire', 'canonical', 'errors'].includes(areaOf(t)))).to.deep.equal([]);
  });

  it('a frontend imports canonical/, wire/, errors/, its own folder and the shared frontend files only', () => {
    expect(violations((s) => s.area === 'frontends' && s.sub !== undefined, (t, s) =>
      ['canonical', 'wire', 'errors'].includes(areaOf(t)) || (areaOf(t) === 'frontends' && (subOf(t) === undefined || subOf(t) === s.sub)))).to.deep.equal([]);
  });

  it('a backend imports canonical/, wire/, errors/, its own folder and the shared backend files only', () => {
    // http/ (pooled client, stream engine) and credentials/ (key pools) are shared by every kind;
    // a kind that speaks another kind's wire reuses that kind's codecs (openai-codex: the Responses API).
    const shared = new Set(['http', 'credentials']);
    const wireOf: Readonly<Record<string, string>> = { 'openai-codex': 'openai-responses' };
    expect(violations((s) => s.area === 'backends' && s.sub !== undefined, (t, s) =>
      ['canonical', 'wire', 'errors'].includes(areaOf(t))
      || (areaOf(t) === 'backends' && (subOf(t) === undefined || subOf(t) === s.sub || shared.has(subOf(t)!) || wireOf[s.sub!] === subOf(t))))).to.deep.equal([]);
  });

  it('frontends and backends never import each other, nor core, server, routing or cli', () => {
    expect(violations((s) => s.area === 'frontends', (t) => !['backends', 'core', 'server', 'routing', 'circuit', 'continuity', 'cli'].includes(areaOf(t)))).to.deep.equal([]);
    expect(violations((s) => s.area === 'backends', (t) => !['frontends', 'core', 'server', 'routing', 'circuit', 'continuity', 'cli'].includes(areaOf(t)))).to.deep.equal([]);
  });

  it('routing/ and circuit/ import only canonical/, errors/ and each other', () => {
    expect(violations((s) => s.area === 'routing' || s.area === 'circuit', (t) => ['routing', 'circuit', 'canonical', 'errors'].includes(areaOf(t)))).to.deep.equal([]);
  });

  it('config/ imports only errors/ and wire/ (the precompiled validators)', () => {
    expect(violations((s) => s.area === 'config', (t) => ['config', 'errors', 'wire'].includes(areaOf(t)))).to.deep.equal([]);
  });

  it('nothing below the CLI imports the CLI, and nothing below the server imports the server', () => {
    expect(violations((s) => s.area !== 'cli', (t) => areaOf(t) !== 'cli')).to.deep.equal([]);
    expect(violations((s) => !['cli', 'server'].includes(s.area), (t) => areaOf(t) !== 'server')).to.deep.equal([]);
  });

  it('routing/ and circuit/ use scheduler time and injected randomness only', () => {
    const offenders = sources
      .filter((s) => s.area === 'routing' || s.area === 'circuit')
      .filter((s) => /\b(setTimeout|setInterval|setImmediate|Date\.now|performance\.now|Math\.random)\s*\(/.test(s.code) || /new Date\(\s*\)/.test(s.code))
      .map((s) => s.file);
    expect(offenders).to.deep.equal([]);
  });

  it('vendor names appear only in frontend/backend folders and the registries', () => {
    // A bundled feature that exists for one backend kind (codex-client-compat) names that kind.
    const allowed = (s: Source) => (s.area === 'frontends' && s.sub !== undefined) || (s.area === 'backends' && s.sub !== undefined)
      || /(^|\/)(registry|dialect-registry)\.ts$/.test(s.file) || s.file.startsWith('extensions/features/codex-client-compat/');
    const offenders = sources.filter((s) => !allowed(s) && /\b(openai|anthropic|gemini|google)\b/i.test(s.code.replace(/'lip:[a-z-]+'/g, ''))).map((s) => s.file);
    expect(offenders).to.deep.equal([]);
  });

  it('RxJS is loaded piece by piece: values come from rxjs/internal/*, only types from the index', () => {
    // The index of rxjs loads every operator (about 220 modules, ~1 MiB of idle RSS); lip uses ~25 of them.
    const offenders = sources.filter((s) => /import\s+(?!type\s)[^'"]*?from\s+'rxjs(\/operators)?'/.test(s.code)).map((s) => s.file);
    expect(offenders).to.deep.equal([]);
  });

  it('a time bound is a deadline (lib/wire/deadline.ts), never AbortSignal.timeout', () => {
    // Node 20: AbortSignal.any holds its sources weakly and a timeout signal's timer holds it
    // weakly too, so a timeout signal nothing else references is collected and never fires.
    const offenders = sources.filter((s) => s.file !== 'wire/deadline.ts' && /AbortSignal\.timeout\s*\(/.test(s.code)).map((s) => s.file);
    expect(offenders).to.deep.equal([]);
  });

  it('a folder index only re-exports', () => {
    const reExport = /^export\s+(\*|\*\s+as\s+\w+|(type\s+)?\{[^}]*\})\s+from\s+'[^']+'$/;
    const offenders = sources.filter((s) => s.file.endsWith('/index.ts'))
      .filter((s) => s.code.split(';').map((statement) => statement.trim()).some((statement) => statement && !reExport.test(statement)))
      .map((s) => s.file);
    expect(offenders).to.deep.equal([]);
  });
});
