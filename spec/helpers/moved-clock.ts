/** Runs `body` with `Date.now` moved forward by `ms` (expiry checks that read the wall clock), then puts it back. */
export async function later<T>(ms: number, body: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = () => real() + ms;
  try {
    return await body();
  } finally {
    Date.now = real;
  }
}
