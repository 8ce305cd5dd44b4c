// Prometheus metrics, kept in memory per instance: requests by route and status, latency histogram by
// route, tokens issued by grant, OAuth errors by code, refresh reuse detections, rate-limit rejections and
// store latency (a timed ping every few seconds). Counting is a Map increment: cheap on the hot path.
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

/** Per route: responses by status and the latency histogram (no string keys built per request). */
interface RouteStats {
  statuses: Map<number, number>;
  latency: Histogram;
}

export class Metrics {
  private routes = new Map<string, RouteStats>();
  private tokens = new Map<string, number>();
  private errors = new Map<string, number>();
  private limited = new Map<string, number>();
  private reuse = 0;
  private store = new Histogram();
  private storeUp = 1;

  request(path: string, status: number, seconds: number): void {
    const route = routeOf(path);
    let r = this.routes.get(route);
    if (!r) {
      r = { statuses: new Map(), latency: new Histogram() };
      this.routes.set(route, r);
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
    counter(
      'auth_http_requests_total',
      'HTTP requests by route and status.',
      [...this.routes].flatMap(([route, r]) => [...r.statuses].map(([status, v]): [string, number] => [`route="${esc(route)}",status="${status}"`, v])),
    );
    out.push('# HELP auth_http_request_duration_seconds Request latency by route.', '# TYPE auth_http_request_duration_seconds histogram');
    for (const [route, r] of this.routes) out.push(...r.latency.render('auth_http_request_duration_seconds', `route="${esc(route)}"`));
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
    return `${out.join('\n')}\n`;
  }
}
