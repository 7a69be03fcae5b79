/** Where the first word that is not an option (or an option's value) stands: the command the user typed; -1 when none. */
export function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return -1;
    if (arg === '--config' || arg === '-c') i++;
    else if (!arg.startsWith('-')) return i;
  }
  return -1;
}

/** The first word that is not an option (or an option's value): the command the user typed. */
export function commandWord(argv: readonly string[]): string | undefined {
  const i = commandIndex(argv);
  return i < 0 ? undefined : argv[i];
}
