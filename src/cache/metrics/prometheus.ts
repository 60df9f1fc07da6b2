/**
 * Optional Prometheus export of the toolkit's counters through prom-client. The caller passes the
 * prom-client module, so stickynote never loads it unless asked to (it stays an optional peer).
 *
 * Nothing is counted on the hot path here: each source keeps plain number counters (a cache's
 * `stats()`, a RateLimiter's, a Locks') and the exporter reads them when Prometheus scrapes.
 */
import type * as PromClient from 'prom-client';

/**
 * Anything with cumulative counters: the cache, a RateLimiter, Locks. Non-numeric fields are
 * ignored. A source that also emits `loaded` events (the cache) gets a load-duration histogram.
 */
export interface StatsSource {
  stats(): object;
  on?(event: 'loaded', listener: (data: { key: string; ms: number }) => void): unknown;
}

export interface PrometheusExporterOptions {
  /** Registry to register into (default: a new one, see `registry`). */
  registry?: PromClient.Registry;
  /** Metric name prefix (default `stickynote_`). */
  prefix?: string;
  /**
   * Fields exported as gauges (current values, may go down) instead of counters. Default: fields
   * named like sizes (`size`, `l1Size`, `entries`…).
   */
  gauges?: (field: string) => boolean;
  /** Buckets (seconds) of the load-duration histogram. Default: 1 ms … 10 s. */
  loadBuckets?: number[];
}

type Metric = PromClient.Counter<'name'> | PromClient.Gauge<'name'>;

const SIZE_LIKE = /(size|entries|keys|inflight|waiting)$/i;

/** camelCase → snake_case, as Prometheus names are written. */
function snake(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^a-zA-Z0-9_]/g, '_').toLowerCase();
}

/**
 * ```ts
 * import * as prom from 'prom-client';
 * const exporter = new PrometheusExporter(prom);
 * exporter.add('cache', 'users', cache);            // stickynote_cache_hits_total{name="users"} …
 * exporter.add('ratelimit', 'api', limiter);        // stickynote_ratelimit_refused_total{name="api"}
 * app.get('/metrics', async (_, res) => res.type(exporter.contentType).send(await exporter.metrics()));
 * ```
 */
export class PrometheusExporter {
  readonly registry: PromClient.Registry;
  private readonly prefix: string;
  private readonly isGauge: (field: string) => boolean;
  /** Sources per kind (cache, ratelimit, lock…), by their `name` label. */
  private readonly sources = new Map<string, Map<string, StatsSource>>();
  private readonly metricsByName = new Map<string, Metric>();
  private readonly loadBuckets: number[];
  private loads: PromClient.Histogram<'name'> | undefined;

  constructor(
    private readonly prom: typeof PromClient,
    options: PrometheusExporterOptions = {},
  ) {
    this.registry = options.registry ?? new prom.Registry();
    this.prefix = options.prefix ?? 'stickynote_';
    this.isGauge = options.gauges ?? ((f) => SIZE_LIKE.test(f));
    this.loadBuckets = options.loadBuckets ?? [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Exports `source`'s numeric stats as `<prefix><kind>_<field>[_total]{name="<name>"}`. */
  add(kind: string, name: string, source: StatsSource): this {
    let named = this.sources.get(kind);
    if (!named) this.sources.set(kind, (named = new Map()));
    if (named.has(name)) throw new Error(`a ${kind} named "${name}" is already exported`);
    named.set(name, source);
    for (const [field, value] of Object.entries(source.stats())) {
      if (typeof value === 'number') this.ensure(kind, field);
    }
    if (typeof source.on === 'function') this.observeLoads(kind, name, source as Required<StatsSource>);
    return this;
  }

  /** `<prefix><kind>_load_duration_seconds{name}`: how long loaders took (the database's side of a miss). */
  private observeLoads(kind: string, name: string, source: Required<StatsSource>): void {
    this.loads ??= new this.prom.Histogram({
      name: `${this.prefix}${snake(kind)}_load_duration_seconds`,
      help: `${kind} loader durations`,
      labelNames: ['name'],
      buckets: this.loadBuckets,
      registers: [this.registry],
    });
    const histogram = this.loads;
    source.on('loaded', ({ ms }) => {
      if (this.sources.get(kind)?.get(name) === source) histogram.observe({ name }, ms / 1000);
    });
  }

  remove(kind: string, name: string): void {
    this.sources.get(kind)?.delete(name);
  }

  /** The text exposition format, for a /metrics endpoint. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private ensure(kind: string, field: string): void {
    const gauge = this.isGauge(field);
    const metricName = `${this.prefix}${snake(kind)}_${snake(field)}${gauge ? '' : '_total'}`;
    if (this.metricsByName.has(metricName)) return;
    const read = () => {
      const values: [string, number][] = [];
      for (const [name, source] of this.sources.get(kind) ?? []) {
        const v = (source.stats() as Record<string, unknown>)[field];
        if (typeof v === 'number') values.push([name, v]);
      }
      return values;
    };
    const help = `${kind} ${field} (from stats())`;
    const metric: Metric = gauge
      ? new this.prom.Gauge({
          name: metricName,
          help,
          labelNames: ['name'],
          registers: [this.registry],
          collect(this: PromClient.Gauge<'name'>) {
            this.reset();
            for (const [name, v] of read()) this.set({ name }, v);
          },
        })
      : new this.prom.Counter({
          name: metricName,
          help,
          labelNames: ['name'],
          registers: [this.registry],
          // Counters are cumulative at the source; the exporter mirrors their current totals.
          collect(this: PromClient.Counter<'name'>) {
            this.reset();
            for (const [name, v] of read()) this.inc({ name }, v);
          },
        });
    this.metricsByName.set(metricName, metric);
  }
}
