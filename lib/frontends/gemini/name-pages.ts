import { badField } from './decode-contents.js';

/**
 * One page of a list of names as Google pages its resources (`pageSize`, `pageToken`, camelCase
 * or snake_case): `pageSize` 0 or absent is `defaultSize`, larger than `maxSize` is `maxSize`;
 * the token is the page's last name, opaque (base64url). `what` names the resource in the error
 * of a token that continues from nothing in the list.
 */
export function namePage(names: readonly string[], query: URLSearchParams, defaultSize: number, maxSize: number, what: string): { readonly page: readonly string[]; readonly nextPageToken?: string } {
  const size = query.get('pageSize') ?? query.get('page_size');
  if (size !== null && !/^\d{1,9}$/.test(size)) throw badField('pageSize', 'must be a non-negative integer');
  const pageSize = size === null || Number(size) === 0 ? defaultSize : Math.min(Number(size), maxSize);
  const token = query.get('pageToken') ?? query.get('page_token') ?? '';
  let start = 0;
  if (token !== '') {
    const after = names.indexOf(Buffer.from(token, 'base64url').toString('latin1'));
    if (after < 0) throw badField('pageToken', `is not a page token of this list (or the ${what} it continued from is gone)`);
    start = after + 1;
  }
  const page = names.slice(start, start + pageSize);
  return start + pageSize < names.length ? { page, nextPageToken: Buffer.from(page[page.length - 1]!, 'latin1').toString('base64url') } : { page };
}
