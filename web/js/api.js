// Calls to the token profiler API. Every call carries the IdToken in the `Auth` header; errors
// ({"message", "request_id"}) become ApiError with a sentence a person can read.

const STATUS_TEXT = {
  400: 'Bad request',
  401: 'Not signed in',
  402: 'Over budget',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Upstream error',
  503: 'Unavailable',
  504: 'Timed out',
};

// Pages of up to 5,000 rows read for one view: 1,000,000 rows at most, then the view says it is partial.
export const MAX_PAGES = 200;

export class ApiError extends Error {
  constructor(status, message, requestId = '', retryAfter = '') {
    const label = STATUS_TEXT[status] || `HTTP ${status}`;
    let text = status ? `${label} (${status}): ${message}` : message;
    // a plan's 429 already says when to retry; Bedrock's throttle does not
    if (retryAfter && !/retry after \d+ s/i.test(String(message))) text += ` Try again in ${retryAfter} s.`;
    if (requestId) text += ` [request ${requestId}]`;
    super(text);
    this.status = status;
    this.detail = message;
    this.requestId = requestId;
  }
}

export class Api {
  constructor(getConfig, auth) {
    this.getConfig = getConfig;
    this.auth = auth;
  }

  async post(path, body, query = null) {
    const { apiUrl } = this.getConfig();
    if (!apiUrl) throw new ApiError(0, 'No API URL is configured; open Credential.');
    let url = `${apiUrl}/${path}`;
    if (query) url += `?${new URLSearchParams(query)}`;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.auth.currentIdToken();
      let response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Auth: token },
          body: JSON.stringify(body ?? {}),
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch (err) {
        throw new ApiError(0, `Could not reach the API at ${apiUrl} (${err.message}).`);
      }
      // One retry after a refresh: the token may have expired between check and use.
      if (response.status === 401 && attempt === 0 && this.auth.tokens?.refreshToken) {
        await this.auth.refresh();
        continue;
      }
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      if (!response.ok) {
        const message =
          (data && typeof data === 'object' && (data.message || data.Message)) || text.trim() || response.statusText;
        throw new ApiError(
          response.status,
          String(message),
          data?.request_id ? String(data.request_id) : '',
          response.headers.get('Retry-After') || '',
        );
      }
      if (data === null) throw new ApiError(response.status, 'The API answered with something that is not JSON.');
      return data;
    }
  }

  invoke(modelId, inputs, parameters) {
    const body = { inputs };
    if (parameters && Object.keys(parameters).length) body.parameters = parameters;
    return this.post('invoke_model', body, { model_id: modelId });
  }

  // Every page of the answer, following `next_token`. onPage({pages, rows}) reports progress.
  // At most maxPages pages are read; the result says when it stopped short (`partial`).
  async usage(startDate, endDate, tenant = '', { onPage = null, maxPages = MAX_PAGES } = {}) {
    const filters = { start_date: startDate, end_date: endDate };
    if (tenant) filters.tenant = tenant;
    const rows = [];
    let token = '';
    let pages = 0;
    do {
      const body = token ? { ...filters, next_token: token } : filters;
      const data = await this.post('ddb_cost_retrieval', body);
      const page = Array.isArray(data) ? data : data?.body;
      if (!Array.isArray(page)) throw new ApiError(200, 'The cost retrieval answer has no list of items.');
      rows.push(...page);
      pages += 1;
      token = !Array.isArray(data) && typeof data?.next_token === 'string' ? data.next_token : '';
      if (onPage) onPage({ pages, rows: rows.length, more: Boolean(token) });
    } while (token && pages < maxPages);
    return { rows, pages, partial: Boolean(token) };
  }

  aggregate(range) {
    return this.post('cost_track_manual', range);
  }

  // A long range answers 202 with a run id; this reads the run's status (and summary once done).
  aggregateStatus(runId) {
    return this.post('cost_track_manual', { run_id: runId });
  }
}
