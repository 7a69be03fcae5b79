import { LipError } from '../errors/index.js';

/** `limit` of an OpenAI list when the query has none, and the most it may ask for. */
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** The paging parameters of an OpenAI cursor list (`order`, `limit`, `after`). */
export interface ItemPageQuery {
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly after: string | undefined;
}

/**
 * `order` (`defaultOrder` unless given: `desc` for Responses input items and conversation items,
 * `asc` for stored chat completions and their messages), `limit` (1-100, default 20) and `after`
 * of an OpenAI list query; `before` is refused. A 400 names the malformed parameter.
 */
export function pageOf(query: URLSearchParams, defaultOrder: 'asc' | 'desc' = 'desc'): ItemPageQuery {
  const order = query.get('order') ?? defaultOrder;
  if (order !== 'asc' && order !== 'desc') throw badParameter('order', 'must be asc or desc');
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? DEFAULT_LIMIT : /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : 0;
  if (limit < 1 || limit > MAX_LIMIT) throw badParameter('limit', `must be an integer between 1 and ${MAX_LIMIT}`);
  if (query.get('before') !== null) throw badParameter('before', 'is not supported; page with after', true);
  const after = query.get('after');
  return { order, limit, after: after === null || after === '' ? undefined : after };
}

/**
 * One page of a list of items (`{object: "list", data, first_id, last_id, has_more}`), in the
 * page's order, after the item `page.after` names (`what` says what kind of item, for its 400).
 */
export function itemPage(items: readonly Record<string, unknown>[], page: ItemPageQuery, what: string): Record<string, unknown> {
  const ordered = page.order === 'asc' ? items : [...items].reverse();
  let start = 0;
  if (page.after !== undefined) {
    start = ordered.findIndex((item) => item.id === page.after) + 1;
    if (start === 0) throw badParameter('after', `names no ${what}`);
  }
  return listPage(ordered.slice(start, start + page.limit), start + page.limit < ordered.length);
}

/** An OpenAI cursor list's envelope around one page of objects with ids. */
export function listPage(data: readonly Record<string, unknown>[], hasMore: boolean): Record<string, unknown> {
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: hasMore };
}

function badParameter(param: string, message: string, unsupported = false): LipError {
  return new LipError(unsupported ? 'LIP_ERR_REQUEST_UNSUPPORTED' : 'LIP_ERR_REQUEST_INVALID', `${param}: ${message}`, { param });
}
