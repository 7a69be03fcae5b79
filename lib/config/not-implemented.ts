type Row = Record<string, unknown>;

/** A setting the schema accepts (it is part of the documented shape) but this build cannot honour. */
interface Unbuilt {
  readonly path: readonly string[];
  /** True when the loaded value asks for the missing behaviour. */
  readonly asks: (value: unknown) => boolean;
  readonly what: string;
}

/**
 * Accepted-but-inert settings of this build. An accepted key must work, so each one here is
 * refused at load with "not implemented in this build" rather than silently ignored. Remove
 * an entry in the same change that implements it.
 */
export const NOT_IMPLEMENTED: readonly Unbuilt[] = [];

/** Reports every accepted-but-inert setting that the config switches on. */
export function checkNotImplemented(root: Row, report: (path: readonly (string | number)[], message: string) => void): void {
  for (const entry of NOT_IMPLEMENTED) {
    let value: unknown = root;
    for (const key of entry.path) value = value !== null && typeof value === 'object' ? (value as Row)[key] : undefined;
    if (entry.asks(value)) report(entry.path, `${entry.what} is not implemented in this build; remove ${entry.path.join('.')} or set it to its default`);
  }
}
