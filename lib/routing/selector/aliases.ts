/**
 * `model_aliases`: rewrite rules applied to a whole selector string before parsing. The first
 * rule whose pattern matches anywhere wins (replace-all with its template); rules are not applied
 * recursively. Templates use `$1`, `$<name>`, or `${1}`.
 */
export interface AliasRule {
  readonly pattern: string;
  readonly replacement: string;
}

export interface CompiledAlias {
  readonly pattern: RegExp;
  readonly replacement: string;
  readonly source: AliasRule;
}

export function compileAliases(rules: readonly AliasRule[]): CompiledAlias[] {
  return rules.map((rule) => ({
    pattern: new RegExp(rule.pattern, 'g'),
    replacement: rule.replacement.replace(/\$\{(\d+)\}/g, '$$$1'),
    source: rule,
  }));
}

/** The selector after the first matching alias, and which rule matched (if any). */
export function applyAliases(selector: string, aliases: readonly CompiledAlias[]): { selector: string; alias?: AliasRule } {
  const text = selector.trim();
  for (const alias of aliases) {
    alias.pattern.lastIndex = 0;
    if (alias.pattern.test(text)) {
      alias.pattern.lastIndex = 0;
      return { selector: text.replace(alias.pattern, alias.replacement).trim(), alias: alias.source };
    }
  }
  return { selector: text };
}
