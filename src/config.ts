// Configuration: one schema for every setting, parsed once at start from the environment plus an optional
// `.env` file in the working directory, validated fail-fast with an error naming the variable.
// This is the only module that reads process.env (via `main.ts`, which passes the env in).
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isLoopbackHost } from './security/loopback.ts';

/** Parse "90", "90s", "15m", "1h", "30d" into seconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'ms':
      return n / 1000;
    case 'm':
      return n * 60;
    case 'h':
      return n * 3600;
    case 'd':
      return n * 86400;
    default:
      return n;
  }
}

type Kind =
  | { type: 'string' }
  | { type: 'int'; min: number; max: number }
  | { type: 'duration'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'url' }
  | { type: 'list' };

interface Setting {
  key: string;
  env: string;
  aliases?: string[];
  kind: Kind;
  default: string | undefined;
  doc: string;
  secret?: boolean;
  /** An empty value means empty, not the default. */
  allowEmpty?: boolean;
}

const dur = (min: number, max: number): Kind => ({ type: 'duration', min, max });

/** The longest ACCESS_TOKEN_TTL accepted: a revoked grant's access tokens are all expired this long after. */
export const ACCESS_TOKEN_TTL_MAX = 86400;

/** Every setting, in the order of docs/configuration.md. `default: undefined` means unset unless given. */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'port',
    env: 'PORT',
    kind: { type: 'int', min: 0, max: 65535 },
    default: '8080',
    doc: 'TCP port to listen on (0 = any free port; the log line "listening" names it, and so does the default BASE_URL).',
  },
  { key: 'host', env: 'HOST', kind: { type: 'string' }, default: '0.0.0.0', doc: 'Address to bind.' },
  {
    key: 'baseUrl',
    env: 'BASE_URL',
    kind: { type: 'url' },
    default: undefined,
    doc: 'Public URL and OAuth issuer; trailing slash removed. Default `http://localhost:PORT`.',
  },
  {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    aliases: ['SQL_URL'],
    kind: { type: 'string' },
    default: undefined,
    doc: 'Unset: SQLite at `DATA_DIR/auth.db`. `sqlite:///abs/path.db`, `:memory:` or a file path: SQLite. `postgres://user:pass@host:5432/db` (add `?sslmode=require` for TLS): PostgreSQL, shared by several instances.',
    secret: true,
  },
  { key: 'dbPoolSize', env: 'DB_POOL_SIZE', kind: { type: 'int', min: 1, max: 1000 }, default: '10', doc: 'PostgreSQL connections per instance.' },
  {
    key: 'dbConnectTimeout',
    env: 'DB_CONNECT_TIMEOUT',
    kind: dur(0, 600),
    default: '30s',
    doc: 'At start, how long to retry (with backoff) an unreachable PostgreSQL before exiting 1.',
  },
  {
    key: 'dataDir',
    env: 'DATA_DIR',
    kind: { type: 'string' },
    default: './data',
    doc: 'Directory for the SQLite database and the initial admin password file.',
  },
  { key: 'logLevel', env: 'LOG_LEVEL', kind: { type: 'enum', values: ['debug', 'info', 'warn', 'error'] }, default: 'info', doc: 'Minimum level logged.' },
  {
    key: 'logFormat',
    env: 'LOG_FORMAT',
    kind: { type: 'enum', values: ['json', 'pretty'] },
    default: 'json',
    doc: 'One JSON object per line, or human-readable lines.',
  },
  {
    key: 'logMetadata',
    env: 'LOG_METADATA',
    kind: { type: 'bool' },
    default: 'false',
    doc: 'Log GET/HEAD of the RFC 8414 metadata like every other request (log line, request id, metrics sample). Off: Bun serves that fixed document itself, unlogged, at about 1.5× the rate.',
  },
  {
    key: 'trustProxy',
    env: 'TRUST_PROXY',
    kind: { type: 'bool' },
    default: 'false',
    doc: 'Take the client IP from the rightmost `X-Forwarded-For` hop (only behind a proxy you run).',
  },
  { key: 'shutdownTimeout', env: 'SHUTDOWN_TIMEOUT', kind: dur(0, 3600), default: '10s', doc: 'How long in-flight requests may finish after SIGTERM/SIGINT.' },
  {
    key: 'sweepInterval',
    env: 'SWEEP_INTERVAL',
    kind: dur(1, 86400),
    default: '5m',
    doc: 'How often expired codes, tokens, sessions and clients are deleted.',
  },
  {
    key: 'clientIdleTtl',
    env: 'CLIENT_IDLE_TTL',
    kind: dur(3600, 3650 * 86400),
    default: '90d',
    doc: 'Dynamically registered clients unused this long are deleted; operator-created and seeded clients never are.',
  },
  {
    key: 'auditRetention',
    env: 'AUDIT_RETENTION',
    kind: dur(86400, 3650 * 86400),
    default: '90d',
    doc: 'Audit log entries older than this are deleted by the sweeper.',
  },
  { key: 'accessTokenTtl', env: 'ACCESS_TOKEN_TTL', kind: dur(60, ACCESS_TOKEN_TTL_MAX), default: '1h', doc: 'Access token (JWT) lifetime.' },
  {
    key: 'refreshTokenTtl',
    env: 'REFRESH_TOKEN_TTL',
    kind: dur(60, 365 * 86400),
    default: '30d',
    doc: 'Refresh token lifetime; sliding: each rotation starts it again.',
  },
  {
    key: 'refreshReuseGrace',
    env: 'REFRESH_REUSE_GRACE',
    kind: dur(0, 300),
    default: '10s',
    doc: 'A rotated refresh token presented again within this time gets a fresh pair; after it, reuse revokes the family. 0 = strict.',
  },
  { key: 'authCodeTtl', env: 'AUTH_CODE_TTL', kind: dur(1, 600), default: '60s', doc: 'Authorization code lifetime.' },
  { key: 'deviceCodeTtl', env: 'DEVICE_CODE_TTL', kind: dur(60, 3600), default: '10m', doc: 'Lifetime of a device code and its user code (RFC 8628).' },
  {
    key: 'devicePollInterval',
    env: 'DEVICE_POLL_INTERVAL',
    kind: dur(1, 60),
    default: '5s',
    doc: 'Minimum polling interval given to devices; polling faster answers slow_down and adds 5 s.',
  },
  {
    key: 'deviceEntryRateLimit',
    env: 'DEVICE_ENTRY_RATE_LIMIT',
    kind: { type: 'int', min: 1, max: 100000 },
    default: '10',
    doc: 'Wrong user codes allowed per IP and per session in DEVICE_ENTRY_RATE_WINDOW before a 429 page.',
  },
  { key: 'deviceEntryRateWindow', env: 'DEVICE_ENTRY_RATE_WINDOW', kind: dur(1, 86400), default: '10m', doc: 'Window of the user-code entry limit.' },
  { key: 'sessionIdleTtl', env: 'SESSION_IDLE_TTL', kind: dur(60, 90 * 86400), default: '2d', doc: 'A browser session ends after this long without use.' },
  {
    key: 'sessionTtl',
    env: 'SESSION_TTL',
    kind: dur(60, 365 * 86400),
    default: '14d',
    doc: 'A browser session ends this long after sign-in, whatever its use.',
  },
  {
    key: 'scopes',
    env: 'SCOPES',
    kind: { type: 'list' },
    default: 'openid profile email offline_access',
    doc: 'Scopes the server knows (space or comma separated); clients may be limited to a subset.',
  },
  {
    key: 'resources',
    env: 'RESOURCES',
    kind: { type: 'list' },
    default: '',
    doc: 'RFC 8707 resources clients may ask for (absolute URIs without a fragment; checked at start). Empty: any https URI, or http on loopback.',
  },
  {
    key: 'defaultAudience',
    env: 'DEFAULT_AUDIENCE',
    kind: { type: 'string' },
    default: undefined,
    doc: '`aud` of access tokens requested without `resource`. Default: BASE_URL.',
  },
  { key: 'signingAlg', env: 'SIGNING_ALG', kind: { type: 'enum', values: ['ES256', 'EdDSA'] }, default: 'ES256', doc: 'Algorithm of new signing keys.' },
  {
    key: 'loginRateLimit',
    env: 'LOGIN_RATE_LIMIT',
    kind: { type: 'int', min: 1, max: 100000 },
    default: '10',
    doc: 'Failed sign-ins allowed per IP in LOGIN_RATE_WINDOW; then 429 for that address.',
  },
  {
    key: 'loginAccountRateLimit',
    env: 'LOGIN_ACCOUNT_RATE_LIMIT',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '100',
    doc: 'Failed sign-ins per account from all addresses in LOGIN_RATE_WINDOW; beyond it only addresses without a failure in the window may try (SECURITY.md).',
  },
  { key: 'loginRateWindow', env: 'LOGIN_RATE_WINDOW', kind: dur(1, 86400), default: '15m', doc: 'Window of the sign-in limit.' },
  {
    key: 'tokenRateLimit',
    env: 'TOKEN_RATE_LIMIT',
    kind: { type: 'int', min: 0, max: 100_000_000 },
    default: '3000',
    doc: 'Token requests allowed per client IP per minute (0: no limit); then 429 with Retry-After.',
  },
  {
    key: 'tokenClientRateLimit',
    env: 'TOKEN_CLIENT_RATE_LIMIT',
    kind: { type: 'int', min: 0, max: 100_000_000 },
    default: '3000',
    doc: 'Token requests allowed per client_id per minute (0: no limit).',
  },
  {
    key: 'introspectionRateLimit',
    env: 'INTROSPECTION_RATE_LIMIT',
    kind: { type: 'int', min: 0, max: 100_000_000 },
    default: '30000',
    doc: 'Introspection requests allowed per caller IP per minute (0: no limit).',
  },
  {
    key: 'deviceRateLimit',
    env: 'DEVICE_RATE_LIMIT',
    kind: { type: 'int', min: 0, max: 100_000_000 },
    default: '300',
    doc: 'Device authorization requests allowed per client IP per minute (0: no limit).',
  },
  {
    key: 'allowedEmailDomains',
    env: 'ALLOWED_EMAIL_DOMAINS',
    kind: { type: 'list' },
    default: '',
    doc: 'If set, upstream sign-ins must have a verified email in one of these domains.',
  },
  {
    key: 'cliClientId',
    env: 'CLI_CLIENT_ID',
    kind: { type: 'string' },
    default: 'auth-cli',
    allowEmpty: true,
    doc: 'Public client that `auth login` uses against this server, advertised in metadata as `auth_cli_client_id`; empty: not advertised (clients register).',
  },
  {
    key: 'clientCacheTtl',
    env: 'CLIENT_CACHE_TTL',
    kind: dur(0, 300),
    default: '5s',
    doc: 'How long a running server keeps a client in memory; changes made by `auth clients` or another instance apply within this time. 0: no cache.',
  },
  {
    key: 'registration',
    env: 'REGISTRATION',
    kind: { type: 'enum', values: ['open', 'token', 'off'] },
    default: 'open',
    doc: 'Dynamic client registration (RFC 7591): open to anyone, only with REGISTRATION_TOKEN, or off.',
  },
  {
    key: 'registrationToken',
    env: 'REGISTRATION_TOKEN',
    kind: { type: 'string' },
    default: undefined,
    doc: 'Initial access token for POST /register (`Authorization: Bearer …`); required when REGISTRATION=token.',
    secret: true,
  },
  {
    key: 'registrationAllowConfidential',
    env: 'REGISTRATION_ALLOW_CONFIDENTIAL',
    kind: { type: 'bool' },
    default: 'false',
    doc: 'Let registration create confidential clients (client_secret_basic/post); otherwise only public ones.',
  },
  {
    key: 'registrationRateLimit',
    env: 'REGISTRATION_RATE_LIMIT',
    kind: { type: 'int', min: 1, max: 1000000 },
    default: '20',
    doc: 'Registrations allowed per IP in REGISTRATION_RATE_WINDOW (then 429 with Retry-After).',
  },
  { key: 'registrationRateWindow', env: 'REGISTRATION_RATE_WINDOW', kind: dur(1, 86400), default: '1h', doc: 'Window of the registration limit.' },
  {
    key: 'clientMetadataDocuments',
    env: 'CLIENT_METADATA_DOCUMENTS',
    kind: { type: 'bool' },
    default: 'true',
    doc: 'Accept https URLs as client_id and fetch their Client ID Metadata Document.',
  },
  {
    key: 'cimdTimeout',
    env: 'CIMD_TIMEOUT',
    kind: dur(1, 30),
    default: '5s',
    doc: 'Deadline for fetching a client metadata document: lookup, connect, headers and body together.',
  },
  {
    key: 'cimdRateLimit',
    env: 'CIMD_RATE_LIMIT',
    kind: { type: 'int', min: 0, max: 100000 },
    default: '20',
    doc: 'Client metadata document look-ups that miss the cache, per IP per minute (each may fetch a URL the caller chose); 0: no limit.',
  },
  {
    key: 'cimdMaxClients',
    env: 'CIMD_MAX_CLIENTS',
    kind: { type: 'int', min: 1, max: 10000000 },
    default: '10000',
    doc: 'Most metadata-document clients kept in the clients table at once; a new one replaces the least recently used.',
  },
  {
    key: 'cimdAllowLoopback',
    env: 'CIMD_ALLOW_LOOPBACK',
    kind: { type: 'bool' },
    default: 'false',
    doc: 'Development only: allow metadata documents on http://127.0.0.1 / localhost (tests).',
  },
  {
    key: 'introspectionToken',
    env: 'INTROSPECTION_TOKEN',
    kind: { type: 'string' },
    default: undefined,
    doc: 'Shared secret for POST /introspect (`Authorization: Bearer …`).',
    secret: true,
  },
  {
    key: 'introspectionClientAuth',
    env: 'INTROSPECTION_CLIENT_AUTH',
    kind: { type: 'bool' },
    default: 'true',
    doc: 'Let confidential clients authenticate to POST /introspect. With this off and no INTROSPECTION_TOKEN, /introspect answers 503.',
  },
  {
    key: 'adminToken',
    env: 'ADMIN_TOKEN',
    kind: { type: 'string' },
    default: undefined,
    doc: 'Bearer token of the temp-token HTTP API (`/temp-tokens`); unset: the API answers 503.',
    secret: true,
  },
  {
    key: 'tempTokenScopes',
    env: 'TEMP_TOKEN_SCOPES',
    kind: { type: 'string' },
    default: '[]',
    doc: 'Temp-token scopes for resource servers: a JSON array (or `@/path/to/file.json`) of `{"name","routes":[{"method","path"}],"max_ttl","single_use"}`.',
  },
  {
    key: 'metricsToken',
    env: 'METRICS_TOKEN',
    kind: { type: 'string' },
    default: undefined,
    doc: 'When set, GET /metrics needs `Authorization: Bearer …` with it; unset: /metrics is open (bind it to a private network).',
    secret: true,
  },
  { key: 'googleClientId', env: 'GOOGLE_CLIENT_ID', kind: { type: 'string' }, default: undefined, doc: 'Enables "Continue with Google".' },
  { key: 'googleClientSecret', env: 'GOOGLE_CLIENT_SECRET', kind: { type: 'string' }, default: undefined, doc: 'Google client secret.', secret: true },
  { key: 'githubClientId', env: 'GITHUB_CLIENT_ID', kind: { type: 'string' }, default: undefined, doc: 'Enables "Continue with GitHub".' },
  { key: 'githubClientSecret', env: 'GITHUB_CLIENT_SECRET', kind: { type: 'string' }, default: undefined, doc: 'GitHub client secret.', secret: true },
  {
    key: 'oidcIssuer',
    env: 'OIDC_ISSUER',
    kind: { type: 'url' },
    default: undefined,
    doc: 'Any OpenID Connect issuer, found by discovery; enables its button.',
  },
  { key: 'oidcClientId', env: 'OIDC_CLIENT_ID', kind: { type: 'string' }, default: undefined, doc: 'Client id at OIDC_ISSUER.' },
  { key: 'oidcClientSecret', env: 'OIDC_CLIENT_SECRET', kind: { type: 'string' }, default: undefined, doc: 'Client secret at OIDC_ISSUER.', secret: true },
  { key: 'oidcName', env: 'OIDC_NAME', kind: { type: 'string' }, default: 'Single sign-on', doc: 'Button label for OIDC_ISSUER.' },
  { key: 'upstreamTimeout', env: 'UPSTREAM_TIMEOUT', kind: dur(1, 120), default: '10s', doc: 'Timeout of each request to an upstream identity provider.' },
  {
    key: 'upstreamAllowHttp',
    env: 'UPSTREAM_ALLOW_HTTP',
    kind: { type: 'bool' },
    default: 'false',
    doc: 'Development only: allow an http OIDC_ISSUER on loopback.',
  },
];

const ConfigSchema = Type.Object({
  port: Type.Integer(),
  host: Type.String(),
  baseUrl: Type.String(),
  databaseUrl: Type.Optional(Type.String()),
  dataDir: Type.String(),
  dbPoolSize: Type.Integer(),
  dbConnectTimeout: Type.Number(),
  logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
  logFormat: Type.Union([Type.Literal('json'), Type.Literal('pretty')]),
  logMetadata: Type.Boolean(),
  trustProxy: Type.Boolean(),
  shutdownTimeout: Type.Number(),
  sweepInterval: Type.Number(),
  clientIdleTtl: Type.Number(),
  auditRetention: Type.Number(),
  accessTokenTtl: Type.Number(),
  refreshTokenTtl: Type.Number(),
  refreshReuseGrace: Type.Number(),
  authCodeTtl: Type.Number(),
  deviceCodeTtl: Type.Number(),
  devicePollInterval: Type.Number(),
  deviceEntryRateLimit: Type.Integer(),
  deviceEntryRateWindow: Type.Number(),
  sessionIdleTtl: Type.Number(),
  sessionTtl: Type.Number(),
  scopes: Type.Array(Type.String()),
  resources: Type.Array(Type.String()),
  defaultAudience: Type.String(),
  signingAlg: Type.Union([Type.Literal('ES256'), Type.Literal('EdDSA')]),
  loginRateLimit: Type.Integer(),
  loginAccountRateLimit: Type.Integer(),
  loginRateWindow: Type.Number(),
  tokenRateLimit: Type.Integer(),
  tokenClientRateLimit: Type.Integer(),
  introspectionRateLimit: Type.Integer(),
  deviceRateLimit: Type.Integer(),
  allowedEmailDomains: Type.Array(Type.String()),
  cliClientId: Type.String(),
  clientCacheTtl: Type.Number(),
  registration: Type.Union([Type.Literal('open'), Type.Literal('token'), Type.Literal('off')]),
  registrationToken: Type.Optional(Type.String()),
  registrationAllowConfidential: Type.Boolean(),
  registrationRateLimit: Type.Integer(),
  registrationRateWindow: Type.Number(),
  clientMetadataDocuments: Type.Boolean(),
  cimdTimeout: Type.Number(),
  cimdRateLimit: Type.Integer(),
  cimdMaxClients: Type.Integer(),
  cimdAllowLoopback: Type.Boolean(),
  introspectionToken: Type.Optional(Type.String()),
  introspectionClientAuth: Type.Boolean(),
  adminToken: Type.Optional(Type.String()),
  tempTokenScopes: Type.String(),
  metricsToken: Type.Optional(Type.String()),
  googleClientId: Type.Optional(Type.String()),
  googleClientSecret: Type.Optional(Type.String()),
  githubClientId: Type.Optional(Type.String()),
  githubClientSecret: Type.Optional(Type.String()),
  oidcIssuer: Type.Optional(Type.String()),
  oidcClientId: Type.Optional(Type.String()),
  oidcClientSecret: Type.Optional(Type.String()),
  oidcName: Type.String(),
  upstreamTimeout: Type.Number(),
  upstreamAllowHttp: Type.Boolean(),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describe(kind: Kind): string {
  switch (kind.type) {
    case 'int':
      return `an integer from ${kind.min} to ${kind.max}`;
    case 'duration':
      return `a duration such as 30s, 15m, 1h or 7d, from ${kind.min}s to ${kind.max}s`;
    case 'bool':
      return 'true or false (also 1/0, yes/no)';
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'url':
      return 'an absolute http(s) URL';
    default:
      return 'a string';
  }
}

function convert(s: Setting, raw: string): unknown {
  const k = s.kind;
  const fail = () => new ConfigError(`invalid ${s.env}=${s.secret ? '(hidden)' : JSON.stringify(raw)}: expected ${describe(k)}`);
  switch (k.type) {
    case 'string':
      return raw;
    case 'list':
      return raw.split(/[\s,]+/).filter(Boolean);
    case 'int': {
      if (!/^\d+$/.test(raw)) throw fail();
      const n = Number(raw);
      if (n < k.min || n > k.max) throw fail();
      return n;
    }
    case 'duration': {
      const n = parseDuration(raw);
      if (n === null || n < k.min || n > k.max) throw fail();
      return n;
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw fail();
    }
    case 'enum':
      if (!k.values.includes(raw)) throw fail();
      return raw;
    case 'url': {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw fail();
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw fail();
      if (u.search || u.hash) throw new ConfigError(`invalid ${s.env}=${JSON.stringify(raw)}: must not contain a query or fragment`);
      return raw.replace(/\/+$/, '');
    }
  }
}

/**
 * Parse a `.env` file: `KEY=value` lines, `#` comments, optional `export `, single or double quotes
 * (double quotes understand \n). Values already in the environment win over the file.
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    let v = m[2] ?? '';
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
    else if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]!] = v;
  }
  return out;
}

/** Build the frozen Config from an environment. Throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const values: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    let raw = env[s.env];
    for (const a of s.aliases ?? []) if (raw === undefined || raw === '') raw = env[a];
    if (raw === undefined || (raw === '' && s.kind.type !== 'list' && !s.allowEmpty)) raw = s.default;
    if (raw === undefined) continue;
    values[s.key] = convert(s, raw);
  }
  values.baseUrl ??= `http://localhost:${values.port}`;
  values.defaultAudience ??= values.baseUrl;
  const base = new URL(values.baseUrl as string);
  if (base.pathname !== '/' && base.pathname !== '') {
    // Issuer with a path is allowed by RFC 8414 §3.1, but we serve at the root only.
    throw new ConfigError(`invalid BASE_URL=${JSON.stringify(values.baseUrl)}: must be an origin without a path`);
  }
  if (values.oidcIssuer) {
    const u = new URL(values.oidcIssuer as string);
    if (u.protocol !== 'https:' && !(values.upstreamAllowHttp && isLoopbackHost(u.hostname)))
      throw new ConfigError('invalid OIDC_ISSUER: must be https (UPSTREAM_ALLOW_HTTP=true permits http on loopback, for development)');
  }
  for (const r of (values.resources as string[] | undefined) ?? []) {
    // RFC 8707 §2: absolute URIs without a fragment (checked once here; requests then only look them up).
    if (!URL.canParse(r) || r.includes('#')) throw new ConfigError(`invalid RESOURCES entry ${JSON.stringify(r)}: must be an absolute URI without a fragment`);
  }
  if (values.oidcIssuer && !values.oidcClientId) throw new ConfigError('OIDC_CLIENT_ID is required when OIDC_ISSUER is set');
  if (values.registration === 'token' && !values.registrationToken) throw new ConfigError('REGISTRATION_TOKEN is required when REGISTRATION=token');
  if (typeof values.registrationToken === 'string' && values.registrationToken.length < 16)
    throw new ConfigError('invalid REGISTRATION_TOKEN: use at least 16 characters');
  if (typeof values.adminToken === 'string' && values.adminToken.length < 16) throw new ConfigError('invalid ADMIN_TOKEN: use at least 16 characters');
  if (typeof values.introspectionToken === 'string' && values.introspectionToken.length < 16)
    throw new ConfigError('invalid INTROSPECTION_TOKEN: use at least 16 characters');
  if (values.googleClientId && !values.googleClientSecret) throw new ConfigError('GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set');
  if (values.githubClientId && !values.githubClientSecret) throw new ConfigError('GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set');
  if (!Value.Check(ConfigSchema, values)) {
    const first = [...Value.Errors(ConfigSchema, values)][0];
    throw new ConfigError(`invalid configuration at ${first?.path}: ${first?.message}`);
  }
  return Object.freeze(values as Config);
}

/** The environment merged with `.env` from `cwd` (the environment wins). */
export async function readEnvironment(env: Record<string, string | undefined>, cwd: string): Promise<Record<string, string | undefined>> {
  const file = Bun.file(`${cwd}/.env`);
  if (!(await file.exists())) return env;
  return { ...parseDotenv(await file.text()), ...env };
}
