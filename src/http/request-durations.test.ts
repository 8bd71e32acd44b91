import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { REQUEST_DURATION_BUCKETS } from './metrics.js';
import { RequestDurations } from './request-durations.js';

type Observation = [route: string, method: string, status: number, seconds: number];

const OBSERVATIONS: Observation[] = [
  ['/api/students', 'POST', 201, 0.012],
  ['/api/students', 'POST', 201, 0.004],
  ['/api/students', 'GET', 200, 0.005],
  ['/api/students', 'POST', 202, 0.3],
  ['/api/customers/:id', 'PATCH', 409, 12],
  ['/api/students', 'POST', 201, 0.025],
  ['/health', 'GET', 503, 2.5],
  ['/api/students', 'POST', 201, 0],
];

/** The same observations in prom-client's own Histogram and in RequestDurations, each in its registry. */
function both(observations: Observation[]) {
  const reference = new Registry();
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status code',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: REQUEST_DURATION_BUCKETS,
    registers: [reference],
  });
  const ours = new Registry();
  const durations = new RequestDurations(REQUEST_DURATION_BUCKETS, ours);
  for (const [route, method, status, seconds] of observations) {
    histogram.observe({ route, method, status_code: String(status) }, seconds);
    durations.observe(route, method, status, seconds);
  }
  return { reference, ours, durations };
}

const comparable = (json: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
  json.map((metric) => ({
    ...metric,
    values: metric.values.map((v) => ({ metricName: (v as { metricName?: string }).metricName, labels: v.labels, value: v.value })),
  }));

describe('RequestDurations', () => {
  it("writes the same Prometheus text as prom-client's Histogram", async () => {
    const { reference, ours } = both(OBSERVATIONS);
    expect(await ours.metrics()).toBe(await reference.metrics());
  });

  it('gives the same JSON, and aggregates across workers the same way', async () => {
    const { reference, ours } = both(OBSERVATIONS);
    const referenceJson = await reference.getMetricsAsJSON();
    const ourJson = await ours.getMetricsAsJSON();
    expect(comparable(ourJson)).toEqual(comparable(referenceJson));
    const second = both(OBSERVATIONS.slice(2));
    const aggregatedReference = AggregatorRegistry.aggregate([referenceJson, await second.reference.getMetricsAsJSON()]);
    const aggregatedOurs = AggregatorRegistry.aggregate([ourJson, await second.ours.getMetricsAsJSON()]);
    expect(await aggregatedOurs.metrics()).toBe(await aggregatedReference.metrics());
  });

  it('forgets everything on reset, and ignores a duration that is not a number', async () => {
    const { ours, durations } = both(OBSERVATIONS);
    durations.observe('/x', 'GET', 200, Number.NaN);
    expect(await ours.metrics()).not.toContain('route="/x"');
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(
      '# HELP http_request_duration_seconds HTTP request duration by route, method and status code\n# TYPE http_request_duration_seconds histogram\n',
    );
  });
});
