// Prometheus metrics, kept in memory per instance: requests by method, route and status, latency histogram
// by method and route, tokens issued by grant, OAuth errors by code, refresh reuse detections, rate-limit rejections and
// store latency (a timed ping every few seconds). Counting is a Map increment: cheap on the hot path.
import { readdirSync, readFileSync } from 'node:fs';
import { COMMIT, VERSION } from '../version.ts';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

class Histogram {
  /** Observations per bucket (not cumulative; render() sums them into Prometheus' cumulative buckets). */
  counts = new Array<number>(BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (v <= BUCKETS[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
  render(name: string, labels: string): string[] {
    const sep = labels ? `${labels},` : '';
    let cumulative = 0;
    const lines = BUCKETS.map((b, i) => {
      cumulative += this.counts[i]!;
      return `${name}_bucket{${sep}le="${b}"} ${cumulative}`;
    });
    lines.push(
      `${name}_bucket{${sep}le="+Inf"} ${this.count}`,
      `${name}_sum${labels ? `{${labels}}` : ''} ${this.sum}`,
      `${name}_count${labels ? `{${labels}}` : ''} ${this.count}`,
    );
    return lines;
  }
}

const inc = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
const esc = (v: string) => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** Route labels from paths, so raw paths (ids, attacker input) never become label values. */
const STATIC_ROUTES = new Set([
  '/',
  '/health',
  '/metrics',
  '/authorize',
  '/consent',
  '/token',
  '/oauth/token',
  '/device_authorization',
  '/oauth/device/code',
  '/device',
  '/device/verify',
  '/device/confirm',
  '/register',
  '/introspect',
  '/revoke',
  '/oauth/revoke',
  '/oauth/tokeninfo',
  '/login',
  '/logout',
  '/callback',
  '/account',
  '/account/revoke',
  '/jwks.json',
  '/.well-known/jwks.json',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/temp-tokens',
  '/temp-tokens/validate',
]);
export function routeOf(path: string): string {
  if (STATIC_ROUTES.has(path)) return path;
  if (path.startsWith('/callback/')) return '/callback/:provider';
  if (path.startsWith('/login/')) return '/login/:provider';
  if (path.startsWith('/set-password/')) return '/set-password/:id';
  if (path.startsWith('/static/')) return '/static/:file';
  return 'other';
}

/** Per method and route: responses by status and the latency histogram (no string keys built per request). */
interface RouteStats {
  statuses: Map<number, number>;
  latency: Histogram;
}

/** Method labels: the methods a client may send; anything else counts as "other". */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The process as Prometheus' client libraries describe it (process_* names), read when scraped. */
const START_TIME_S = Date.now() / 1000 - process.uptime();
function processMetrics(): string[] {
  const cpu = process.cpuUsage();
  const lines = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    '# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${Math.round(START_TIME_S * 1000) / 1000}`,
  ];
  try {
    // Linux only: the entries of /proc/self/fd are the open descriptors.
    const fds = readdirSync('/proc/self/fd').length;
    const max = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    lines.push('# HELP process_open_fds Number of open file descriptors.', '# TYPE process_open_fds gauge', `process_open_fds ${fds}`);
    if (max) lines.push('# HELP process_max_fds Maximum number of open file descriptors.', '# TYPE process_max_fds gauge', `process_max_fds ${max}`);
  } catch {
    // not Linux: no /proc
  }
  return lines;
}

export class Metrics {
  private methods = new Map<string, Map<string, RouteStats>>();
  private tokens = new Map<string, number>();
  private errors = new Map<string, number>();
  private limited = new Map<string, number>();
  private reuse = 0;
  private store = new Histogram();
  private storeUp = 1;
  private sweepMax = 0;

  request(method: string, path: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'other';
    let routes = this.methods.get(m);
    if (!routes) {
      routes = new Map();
      this.methods.set(m, routes);
    }
    const route = routeOf(path);
    let r = routes.get(route);
    if (!r) {
      r = { statuses: new Map(), latency: new Histogram() };
      routes.set(route, r);
    }
    r.statuses.set(status, (r.statuses.get(status) ?? 0) + 1);
    r.latency.observe(seconds);
  }
  tokenIssued(grant: string): void {
    inc(this.tokens, grant);
  }
  oauthError(code: string): void {
    inc(this.errors, code);
  }
  rateLimited(endpoint: string): void {
    inc(this.limited, endpoint);
  }
  refreshReuse(): void {
    this.reuse++;
  }
  /** The longest batch of the last sweep: how long it held the write lock at most. */
  sweep(maxBatchSeconds: number): void {
    this.sweepMax = maxBatchSeconds;
  }
  storePing(seconds: number, ok: boolean): void {
    this.storeUp = ok ? 1 : 0;
    if (ok) this.store.observe(seconds);
  }

  render(): string {
    const out: string[] = [];
    const counter = (name: string, help: string, rows: [string, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of rows) out.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
    };
    out.push(
      '# HELP auth_build_info The running version and commit (always 1).',
      '# TYPE auth_build_info gauge',
      `auth_build_info{version="${esc(VERSION)}",commit="${esc(COMMIT)}"} 1`,
    );
    const byRoute = [...this.methods].flatMap(([method, routes]) => [...routes].map(([route, r]) => [`method="${method}",route="${esc(route)}"`, r] as const));
    counter(
      'auth_http_requests_total',
      'HTTP requests by method, route and status.',
      byRoute.flatMap(([labels, r]) => [...r.statuses].map(([status, v]): [string, number] => [`${labels},status="${status}"`, v])),
    );
    out.push('# HELP auth_http_request_duration_seconds Request latency by method and route.', '# TYPE auth_http_request_duration_seconds histogram');
    for (const [labels, r] of byRoute) out.push(...r.latency.render('auth_http_request_duration_seconds', labels));
    counter(
      'auth_tokens_issued_total',
      'Tokens issued by grant type.',
      [...this.tokens].map(([g, v]) => [`grant_type="${esc(g)}"`, v]),
    );
    counter(
      'auth_oauth_errors_total',
      'OAuth error responses by error code.',
      [...this.errors].map(([e, v]) => [`error="${esc(e)}"`, v]),
    );
    counter('auth_refresh_reuse_detected_total', 'Rotated refresh tokens presented again after the grace period (family revoked).', [['', this.reuse]]);
    counter(
      'auth_rate_limited_total',
      'Requests refused by a rate limit, by endpoint.',
      [...this.limited].map(([e, v]) => [`endpoint="${esc(e)}"`, v]),
    );
    out.push(
      '# HELP auth_store_ping_seconds Latency of the periodic store ping.',
      '# TYPE auth_store_ping_seconds histogram',
      ...this.store.render('auth_store_ping_seconds', ''),
    );
    out.push('# HELP auth_store_up Whether the last store ping succeeded.', '# TYPE auth_store_up gauge', `auth_store_up ${this.storeUp}`);
    out.push(
      '# HELP auth_sweep_max_batch_seconds The longest delete batch of the last sweep (time under the write lock).',
      '# TYPE auth_sweep_max_batch_seconds gauge',
      `auth_sweep_max_batch_seconds ${this.sweepMax}`,
    );
    out.push(...processMetrics());
    return `${out.join('\n')}\n`;
  }
}
