// What handlers return, DigitalOcean's error bodies, and its page/per_page pagination with
// `links.pages` URLs and `meta.total`.

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ErrorBody {
  id: string;
  message: string;
  request_id?: string;
}

/** Error id and default message per status, following the spec's shared responses. */
const ERRORS: Record<number, [id: string, message: string]> = {
  400: ['bad_request', 'error parsing request body'],
  401: ['unauthorized', 'Unable to authenticate you'],
  403: ['forbidden', 'You do not have permission to perform this action.'],
  404: ['not_found', 'The resource you were accessing could not be found.'],
  409: ['conflict', 'The request could not be completed due to a conflict.'],
  422: ['unprocessable_entity', 'request payload validation failed'],
  429: ['too_many_requests', 'API Rate limit exceeded.'],
  500: ['server_error', 'Unexpected server-side error'],
  502: ['bad_gateway', 'Bad gateway'],
  503: ['service_unavailable', 'Service unavailable'],
  504: ['gateway_timeout', 'Gateway timeout'],
};

export function errorBody(status: number, requestId: string, message?: string): ErrorBody {
  const [id, fallback] = ERRORS[status] ?? ['unexpected_error', 'An unexpected error occurred'];
  return { id, message: message ?? fallback, request_id: requestId };
}

export function errorReply(status: number, requestId: string, message?: string): Reply {
  return { status, body: errorBody(status, requestId, message) };
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });

export interface Page<T> {
  items: T[];
  links: { pages: Partial<Record<'first' | 'prev' | 'next' | 'last', string>> };
  meta: { total: number };
}

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 200;

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) && n >= 1 ? n : fallback;
}

/**
 * Slice `all` per `page`/`per_page` (default 20, capped at 200) and build the links. Only the
 * links that make sense are present (no first/prev on page 1, no next/last on the last page);
 * other query parameters (filters) are kept in the URLs so following `next` keeps filtering.
 */
export function paginate<T>(all: T[], query: Record<string, string>, baseUrl: string, path: string): Page<T> {
  const perPage = Math.min(positiveInt(query.per_page, DEFAULT_PER_PAGE), MAX_PER_PAGE);
  const page = positiveInt(query.page, 1);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);

  const url = (p: number) => {
    const params = new URLSearchParams({ ...query, page: String(p), per_page: String(perPage) });
    return `${baseUrl}${path}?${params.toString()}`;
  };
  const pages: Page<T>['links']['pages'] = {};
  if (page > 1) {
    pages.first = url(1);
    pages.prev = url(Math.min(page - 1, lastPage));
  }
  if (page < lastPage) {
    pages.next = url(page + 1);
    pages.last = url(lastPage);
  }
  return { items, links: { pages }, meta: { total: all.length } };
}

/** `{ [key]: items, links, meta }`, the shape of every collection response. */
export function listReply<T>(key: string, all: T[], query: Record<string, string>, baseUrl: string, path: string): Reply {
  const { items, links, meta } = paginate(all, query, baseUrl, path);
  return ok({ [key]: items, links, meta });
}
