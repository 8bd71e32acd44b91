import autocannon from 'autocannon';

/** What one load run measured. */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Responses per HTTP status code, e.g. `{ 201: 9000 }` (autocannon counts 202 as 2xx). */
  statusCodes: Record<number, number>;
  /** Requests sent; those above `requests` were cut off unanswered when the run stopped. */
  sent: number;
  /** How long the run really took, in seconds. */
  durationSeconds: number;
}

/** One load run: where, what, how hard and how long. */
export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A body per request (so each write is a new row). */
  body?: () => string;
  connections: number;
  /** The longest the run takes. */
  durationSeconds: number;
  /** Ends the run early once it settles. */
  until?: Promise<unknown>;
}

/**
 * Runs autocannon against `url` and summarizes it. Only 127.0.0.1 targets: benchmarks never
 * send traffic elsewhere.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (!options.url.startsWith('http://127.0.0.1:')) throw new Error(`benchmarks only load 127.0.0.1, not ${options.url}`);
  const makeBody = options.body;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...options.headers },
        connections: options.connections,
        duration: options.durationSeconds,
        ...(makeBody ? { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: makeBody() }) }] } : {}),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    void options.until?.then(() => instance.stop());
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [Number(code), stats?.count ?? 0])),
    sent: result.requests.sent,
    durationSeconds: result.duration,
  };
}

/** Formats rows as a Markdown table (printed, and pasted into the README). */
export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
