/** The first word that is not an option (or an option's value): the command the user typed. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg === '--config' || arg === '-c') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
