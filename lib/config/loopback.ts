/**
 * Whether a listen host is loopback only: `localhost`, `::1` or `127.0.0.0/8`. Wildcards
 * (`0.0.0.0`, `::`) and every other address are not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
