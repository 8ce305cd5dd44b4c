// Configuration: one TypeBox schema for every setting — each field carries its environment variable, its
// default and its description (docs/configuration.md is generated from it) — parsed once at start with
// Value.Parse from the environment plus an optional `.env` file in the working directory, validated
// fail-fast with an error naming the variable. The only module that reads process.env (via `main.ts`,
// which passes the env in).
import { type StaticDecode, type TSchema, Type } from '@sinclair/typebox';
import { TransformDecodeError, Value } from '@sinclair/typebox/value';
import { isLoopbackHost } from './security/loopback.ts';
import { hexColour, parseColour } from './colour.ts';
import { distance } from './closest.ts';

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

/** The longest ACCESS_TOKEN_TTL accepted: a revoked grant's access tokens are all expired this long after. */
export const ACCESS_TOKEN_TTL_MAX = 86400;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** What a setting's schema carries besides its type: where it comes from and what it means. */
interface SettingMeta {
  env: string;
  aliases?: string[];
  /** As it would be written in the environment; absent: unset unless given. */
  default?: string;
  description: string;
  /** Never echoed in an error message. */
  secret?: boolean;
  /** An empty value means empty, not the default. */
  allowEmpty?: boolean;
}

/** A value of the right type that a rule refuses; its message is said as is, not as "expected …". */
class NotAllowed extends Error {}

/** A value as the environment spells it, decoded; `expected` says what is allowed, in error messages. */
const decoded = <T>(expected: string, decode: (raw: string) => T | undefined) =>
  Type.Transform(Type.String({ expected }))
    .Decode((raw) => {
      const v = decode(raw);
      if (v === undefined) throw new Error(expected);
      return v;
    })
    .Encode((v) => String(v));

const text = () => decoded('a string', (raw) => raw);
const int = (min: number, max: number) =>
  decoded(`an integer from ${min} to ${max}`, (raw) => (/^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : undefined));
/** 90 → "90s", 3600 → "1h": a duration as people write it. */
export function formatDuration(s: number): string {
  if (s >= 86400 && s % 86400 === 0) return `${s / 86400}d`;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
/** The bounds as people write them, and an example that is itself allowed. */
const durationExpected = (min: number, max: number) => {
  const example = [30, 60, 300, 900, 3600, 86400, 7 * 86400].find((v) => v > min && v < max) ?? max;
  return `a duration from ${formatDuration(min)} to ${formatDuration(max)}, such as ${formatDuration(example)} (units: s, m, h, d)`;
};
const duration = (min: number, max: number) =>
  decoded(durationExpected(min, max), (raw) => {
    const n = parseDuration(raw);
    return n !== null && n >= min && n <= max ? n : undefined;
  });
const bool = () =>
  decoded('true or false (also 1/0, yes/no)', (raw) => {
    const v = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    return undefined;
  });
const oneOf = <const V extends readonly string[]>(values: V) =>
  decoded(`one of ${values.join(', ')}`, (raw) => (values.includes(raw) ? (raw as V[number]) : undefined));
const list = () => decoded('a list', (raw) => raw.split(/[\s,]+/).filter(Boolean));
const httpUrl = () =>
  decoded('an absolute http(s) URL', (raw) => {
    const u = URL.parse(raw);
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) return undefined;
    if (u.search || u.hash) throw new NotAllowed('must not contain a query or fragment');
    return raw.replace(/\/+$/, '');
  });

/** JSON of a TypeBox schema (lists of trusted issuers); the first mismatch is named in the error. */
const jsonList = <T extends TSchema>(item: T, expected: string) =>
  decoded(expected, (raw) => {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new NotAllowed(`must be ${expected} (not valid JSON)`);
    }
    const schema = Type.Array(item);
    if (!Value.Check(schema, v)) {
      const err = Value.Errors(schema, v).First();
      throw new NotAllowed(`must be ${expected}: ${err?.path || '/'} ${err?.message ?? ''}`.trimEnd());
    }
    return v as StaticDecode<typeof schema>;
  });

const IdJagIssuer = Type.Object(
  {
    issuer: Type.String({ minLength: 1 }),
    jwks_uri: Type.String({ minLength: 1 }),
    allowed_clients: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
const WorkloadIssuer = Type.Object(
  {
    issuer: Type.String({ minLength: 1 }),
    jwks_uri: Type.String({ minLength: 1 }),
    audience: Type.String({ minLength: 1 }),
    client_id: Type.String({ minLength: 1 }),
    claims: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))),
    scopes: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type IdJagIssuerRule = StaticDecode<typeof IdJagIssuer>;
export type WorkloadRule = StaticDecode<typeof WorkloadIssuer>;

/** A field of the schema: its type, and where it comes from. Settings without a default are optional. */
function setting<T extends TSchema>(type: T, meta: SettingMeta) {
  const s = { ...type, ...meta, ...(meta.default !== undefined ? { default: meta.default } : {}) } as T & SettingMeta;
  return meta.default === undefined ? Type.Optional(s) : s;
}

/** Every setting, in the order of docs/configuration.md. */
const ConfigSchema = Type.Object({
  port: setting(int(0, 65535), {
    env: 'PORT',
    default: '8080',
    description: 'TCP port to listen on (0 = any free port; the log line "listening" names it, and so does the default BASE_URL).',
  }),
  host: setting(text(), { env: 'HOST', default: '0.0.0.0', description: 'Address to bind.' }),
  baseUrl: setting(httpUrl(), { env: 'BASE_URL', description: 'Public URL and OAuth issuer; trailing slash removed. Default `http://localhost:PORT`.' }),
  databaseUrl: setting(text(), {
    env: 'DATABASE_URL',
    aliases: ['SQL_URL'],
    secret: true,
    description:
      'Unset: SQLite at `DATA_DIR/auth.db`. `sqlite:///abs/path.db`, `:memory:` or a file path: SQLite. `postgres://user:pass@host:5432/db` (add `?sslmode=require` for TLS): PostgreSQL, shared by several instances.',
  }),
  sqliteCacheSize: setting(int(1, 65536), {
    env: 'SQLITE_CACHE_SIZE',
    default: '8',
    description:
      'SQLite page cache in MiB, per connection. 8 keeps a token lookup in a database of a million refresh-token families as fast as in an empty one (bench/growth.ts) and the server under 150 MiB resident; raise it for databases of several GB.',
  }),
  dbPoolSize: setting(int(1, 1000), { env: 'DB_POOL_SIZE', default: '10', description: 'PostgreSQL connections per instance.' }),
  dbConnectTimeout: setting(duration(0, 600), {
    env: 'DB_CONNECT_TIMEOUT',
    default: '30s',
    description: 'At start, how long to retry (with backoff) an unreachable PostgreSQL before exiting 1.',
  }),
  dataDir: setting(text(), { env: 'DATA_DIR', default: './data', description: 'Directory for the SQLite database and the initial admin password file.' }),
  logLevel: setting(oneOf(['debug', 'info', 'warn', 'error'] as const), { env: 'LOG_LEVEL', default: 'info', description: 'Minimum level logged.' }),
  logFormat: setting(oneOf(['json', 'pretty'] as const), {
    env: 'LOG_FORMAT',
    default: 'json',
    description:
      '`json`: one JSON object per line (`time`, `level`, `msg` and fields), for journald, Loki or any log shipper. `pretty`: `2026-12-05T10:00:00.000Z INFO  listening url=… issuer=…` lines for a terminal. Both go to stderr.',
  }),
  logMetadata: setting(bool(), {
    env: 'LOG_METADATA',
    default: 'false',
    description:
      'Log GET/HEAD of the RFC 8414 metadata like every other request (log line, request id, metrics sample). Off: Bun serves that fixed document itself, unlogged, at about 1.5× the rate.',
  }),
  trustProxy: setting(bool(), {
    env: 'TRUST_PROXY',
    default: 'false',
    description: 'Take the client IP from the rightmost `X-Forwarded-For` hop (only behind a proxy you run).',
  }),
  shutdownTimeout: setting(duration(0, 3600), {
    env: 'SHUTDOWN_TIMEOUT',
    default: '10s',
    description: 'How long in-flight requests may finish after SIGTERM/SIGINT.',
  }),
  sweepInterval: setting(duration(1, 86400), {
    env: 'SWEEP_INTERVAL',
    default: '5m',
    description: 'How often expired codes, tokens, sessions and clients are deleted.',
  }),
  clientIdleTtl: setting(duration(3600, 315360000), {
    env: 'CLIENT_IDLE_TTL',
    default: '90d',
    description: 'Dynamically registered clients unused this long are deleted; operator-created and seeded clients never are.',
  }),
  auditRetention: setting(duration(86400, 315360000), {
    env: 'AUDIT_RETENTION',
    default: '90d',
    description: 'Audit log entries older than this are deleted by the sweeper.',
  }),
  accessTokenTtl: setting(duration(60, 86400), { env: 'ACCESS_TOKEN_TTL', default: '1h', description: 'Access token (JWT) lifetime.' }),
  refreshTokenTtl: setting(duration(60, 31536000), {
    env: 'REFRESH_TOKEN_TTL',
    default: '30d',
    description: 'Refresh token lifetime; sliding: each rotation starts it again.',
  }),
  refreshReuseGrace: setting(duration(0, 300), {
    env: 'REFRESH_REUSE_GRACE',
    default: '10s',
    description: 'A rotated refresh token presented again within this time gets a fresh pair; after it, reuse revokes the family. 0 = strict.',
  }),
  authCodeTtl: setting(duration(1, 600), { env: 'AUTH_CODE_TTL', default: '60s', description: 'Authorization code lifetime.' }),
  deviceCodeTtl: setting(duration(60, 3600), {
    env: 'DEVICE_CODE_TTL',
    default: '10m',
    description: 'Lifetime of a device code and its user code (RFC 8628).',
  }),
  devicePollInterval: setting(duration(1, 60), {
    env: 'DEVICE_POLL_INTERVAL',
    default: '5s',
    description: 'Minimum polling interval given to devices; polling faster answers slow_down and adds 5 s.',
  }),
  deviceEntryRateLimit: setting(int(1, 100000), {
    env: 'DEVICE_ENTRY_RATE_LIMIT',
    default: '10',
    description: 'Wrong user codes allowed per IP and per session in DEVICE_ENTRY_RATE_WINDOW before a 429 page.',
  }),
  deviceEntryRateWindow: setting(duration(1, 86400), { env: 'DEVICE_ENTRY_RATE_WINDOW', default: '10m', description: 'Window of the user-code entry limit.' }),
  sessionIdleTtl: setting(duration(60, 7776000), {
    env: 'SESSION_IDLE_TTL',
    default: '2d',
    description: 'A browser session ends after this long without use.',
  }),
  sessionTtl: setting(duration(60, 31536000), {
    env: 'SESSION_TTL',
    default: '14d',
    description: 'A browser session ends this long after sign-in, whatever its use.',
  }),
  scopes: setting(list(), {
    env: 'SCOPES',
    allowEmpty: true,
    default: 'openid profile email offline_access',
    description: 'Scopes the server knows (space or comma separated); clients may be limited to a subset.',
  }),
  resources: setting(list(), {
    env: 'RESOURCES',
    allowEmpty: true,
    default: '',
    description: 'RFC 8707 resources clients may ask for (absolute URIs without a fragment; checked at start). Empty: any https URI, or http on loopback.',
  }),
  defaultAudience: setting(text(), { env: 'DEFAULT_AUDIENCE', description: '`aud` of access tokens requested without `resource`. Default: BASE_URL.' }),
  signingAlg: setting(oneOf(['ES256', 'EdDSA'] as const), { env: 'SIGNING_ALG', default: 'ES256', description: 'Algorithm of new signing keys.' }),
  loginRateLimit: setting(int(1, 100000), {
    env: 'LOGIN_RATE_LIMIT',
    default: '10',
    description: 'Failed sign-ins allowed per IP in LOGIN_RATE_WINDOW; then 429 for that address.',
  }),
  loginAccountRateLimit: setting(int(1, 1000000), {
    env: 'LOGIN_ACCOUNT_RATE_LIMIT',
    default: '100',
    description:
      'Failed sign-ins per account from all addresses in LOGIN_RATE_WINDOW; beyond it only addresses without a failure in the window may try (SECURITY.md).',
  }),
  loginRateWindow: setting(duration(1, 86400), { env: 'LOGIN_RATE_WINDOW', default: '15m', description: 'Window of the sign-in limit.' }),
  tokenRateLimit: setting(int(0, 100000000), {
    env: 'TOKEN_RATE_LIMIT',
    default: '3000',
    description: 'Token requests allowed per client IP per minute (0: no limit); then 429 with Retry-After.',
  }),
  tokenClientRateLimit: setting(int(0, 100000000), {
    env: 'TOKEN_CLIENT_RATE_LIMIT',
    default: '3000',
    description: 'Token requests allowed per client_id per minute (0: no limit).',
  }),
  introspectionRateLimit: setting(int(0, 100000000), {
    env: 'INTROSPECTION_RATE_LIMIT',
    default: '30000',
    description: 'Introspection requests allowed per caller IP per minute (0: no limit).',
  }),
  deviceRateLimit: setting(int(0, 100000000), {
    env: 'DEVICE_RATE_LIMIT',
    default: '300',
    description: 'Device authorization requests allowed per client IP per minute (0: no limit).',
  }),
  allowedEmailDomains: setting(list(), {
    env: 'ALLOWED_EMAIL_DOMAINS',
    allowEmpty: true,
    default: '',
    description: 'If set, upstream sign-ins must have a verified email in one of these domains.',
  }),
  cliClientId: setting(text(), {
    env: 'CLI_CLIENT_ID',
    default: 'auth-cli',
    allowEmpty: true,
    description:
      'Public client that `auth login` uses against this server, advertised in metadata as `auth_cli_client_id`; empty: not advertised (clients register).',
  }),
  clientCacheTtl: setting(duration(0, 300), {
    env: 'CLIENT_CACHE_TTL',
    default: '5s',
    description: 'How long a running server keeps a client in memory; changes made by `auth clients` or another instance apply within this time. 0: no cache.',
  }),
  registration: setting(oneOf(['open', 'token', 'off'] as const), {
    env: 'REGISTRATION',
    default: 'open',
    description: 'Dynamic client registration (RFC 7591): open to anyone, only with REGISTRATION_TOKEN, or off.',
  }),
  registrationToken: setting(text(), {
    env: 'REGISTRATION_TOKEN',
    secret: true,
    description: 'Initial access token for POST /register (`Authorization: Bearer …`); required when REGISTRATION=token.',
  }),
  pairwiseSalt: setting(text(), {
    env: 'PAIRWISE_SALT',
    secret: true,
    description:
      'Secret (at least 32 characters) from which pairwise subject identifiers are derived (OIDC Core §8.1); unset: only public subjects. Changing it changes every pairwise `sub`.',
  }),
  registrationAllowConfidential: setting(bool(), {
    env: 'REGISTRATION_ALLOW_CONFIDENTIAL',
    default: 'false',
    description: 'Let registration create confidential clients (client_secret_basic/post); otherwise only public ones.',
  }),
  registrationRateLimit: setting(int(1, 1000000), {
    env: 'REGISTRATION_RATE_LIMIT',
    default: '20',
    description: 'Registrations allowed per IP in REGISTRATION_RATE_WINDOW (then 429 with Retry-After).',
  }),
  registrationRateWindow: setting(duration(1, 86400), { env: 'REGISTRATION_RATE_WINDOW', default: '1h', description: 'Window of the registration limit.' }),
  clientMetadataDocuments: setting(bool(), {
    env: 'CLIENT_METADATA_DOCUMENTS',
    default: 'true',
    description: 'Accept https URLs as client_id and fetch their Client ID Metadata Document.',
  }),
  cimdTimeout: setting(duration(1, 30), {
    env: 'CIMD_TIMEOUT',
    default: '5s',
    description: 'Deadline for fetching a client metadata document: lookup, connect, headers and body together.',
  }),
  cimdRateLimit: setting(int(0, 100000), {
    env: 'CIMD_RATE_LIMIT',
    default: '20',
    description: 'Client metadata document look-ups that miss the cache, per IP per minute (each may fetch a URL the caller chose); 0: no limit.',
  }),
  cimdMaxClients: setting(int(1, 10000000), {
    env: 'CIMD_MAX_CLIENTS',
    default: '10000',
    description: 'Most metadata-document clients kept in the clients table at once; a new one replaces the least recently used.',
  }),
  cimdAllowLoopback: setting(bool(), {
    env: 'CIMD_ALLOW_LOOPBACK',
    default: 'false',
    description: 'Development only: allow metadata documents on http://127.0.0.1 / localhost (tests).',
  }),
  tokenExchange: setting(bool(), {
    env: 'TOKEN_EXCHANGE',
    default: 'false',
    description:
      'RFC 8693 token exchange at /token: clients with the token-exchange grant trade an access token for one for another audience (`auth clients add --exchange-audience URL`).',
  }),
  privateKeyJwt: setting(bool(), {
    env: 'PRIVATE_KEY_JWT',
    default: 'false',
    description:
      'Clients may authenticate with a signed JWT instead of a secret (RFC 7523 §2.2, `private_key_jwt`): keys from their registered `jwks` or `jwks_uri` (`auth clients add --jwks-uri URL | --jwks FILE`, or registration).',
  }),
  idJagIssuers: setting(jsonList(IdJagIssuer, 'a JSON list of {"issuer", "jwks_uri", "allowed_clients"?}'), {
    env: 'ID_JAG_ISSUERS',
    description:
      'Enterprise identity providers whose identity assertions (ID-JAG, MCP Enterprise-Managed Authorization) the jwt-bearer grant accepts: `[{"issuer":"https://idp.example.com","jwks_uri":"https://idp.example.com/jwks","allowed_clients":["c_…"]}]`. Unset: off.',
  }),
  workloadIssuers: setting(jsonList(WorkloadIssuer, 'a JSON list of {"issuer", "jwks_uri", "audience", "client_id", "claims"?, "scopes"?}'), {
    env: 'WORKLOAD_ISSUERS',
    description:
      'Workload identity federation: platform JWTs (GitHub Actions OIDC, Kubernetes service accounts, any OIDC issuer) accepted instead of a client secret, each rule mapping tokens whose claims match to a client: `[{"issuer":"https://token.actions.githubusercontent.com","jwks_uri":"…/.well-known/jwks","audience":"https://auth.example.com","claims":{"repository":"org/repo","ref":"refs/heads/main"},"client_id":"c_…","scopes":["deploy"]}]`. A claim value may end in `*` (prefix) or be a list. Unset: off.',
  }),
  jwksTimeout: setting(duration(1, 30), {
    env: 'JWKS_TIMEOUT',
    default: '5s',
    description: 'Deadline for fetching a JWKS (client `jwks_uri`, ID-JAG and workload issuers): lookup, connect, headers and body together.',
  }),
  jwksAllowLoopback: setting(bool(), {
    env: 'JWKS_ALLOW_LOOPBACK',
    default: 'false',
    description: 'Development only: allow JWKS URLs on http://127.0.0.1 / localhost (tests and local identity providers).',
  }),
  dpopNonce: setting(bool(), {
    env: 'DPOP_NONCE',
    default: 'false',
    description:
      'Require a server nonce in DPoP proofs at /token (RFC 9449 §8): a proof without a current one gets `use_dpop_nonce` and the nonce in `DPoP-Nonce`. Nonces change every 5 minutes.',
  }),
  dpopNonceSecret: setting(text(), {
    env: 'DPOP_NONCE_SECRET',
    secret: true,
    description: 'The key DPoP nonces are made with. Set the same value on every instance behind one issuer; unset: random per process.',
  }),
  dpopProofWindow: setting(duration(5, 600), {
    env: 'DPOP_PROOF_WINDOW',
    default: '60s',
    description: 'How far a DPoP proof’s iat may be from now, either way; its jti is remembered (in the database, for every instance) this long.',
  }),
  introspectionToken: setting(text(), {
    env: 'INTROSPECTION_TOKEN',
    secret: true,
    description: 'Shared secret for POST /introspect (`Authorization: Bearer …`).',
  }),
  introspectionClientAuth: setting(bool(), {
    env: 'INTROSPECTION_CLIENT_AUTH',
    default: 'true',
    description: 'Let confidential clients authenticate to POST /introspect. With this off and no INTROSPECTION_TOKEN, /introspect answers 503.',
  }),
  adminToken: setting(text(), {
    env: 'ADMIN_TOKEN',
    secret: true,
    description: 'Bearer token of the temp-token HTTP API (`/temp-tokens`); unset: the API answers 503.',
  }),
  tempTokenScopes: setting(text(), {
    env: 'TEMP_TOKEN_SCOPES',
    default: '[]',
    description:
      'Temp-token scopes for resource servers: a JSON array (or `@/path/to/file.json`) of `{"name","routes":[{"method","path"}],"max_ttl","single_use"}`.',
  }),
  metricsToken: setting(text(), {
    env: 'METRICS_TOKEN',
    secret: true,
    description: 'When set, GET /metrics needs `Authorization: Bearer …` with it; unset: /metrics is open (bind it to a private network).',
  }),
  googleClientId: setting(text(), { env: 'GOOGLE_CLIENT_ID', description: 'Enables "Continue with Google".' }),
  googleClientSecret: setting(text(), { env: 'GOOGLE_CLIENT_SECRET', secret: true, description: 'Google client secret.' }),
  githubClientId: setting(text(), { env: 'GITHUB_CLIENT_ID', description: 'Enables "Continue with GitHub".' }),
  githubClientSecret: setting(text(), { env: 'GITHUB_CLIENT_SECRET', secret: true, description: 'GitHub client secret.' }),
  oidcIssuer: setting(httpUrl(), { env: 'OIDC_ISSUER', description: 'Any OpenID Connect issuer, found by discovery; enables its button.' }),
  oidcClientId: setting(text(), { env: 'OIDC_CLIENT_ID', description: 'Client id at OIDC_ISSUER.' }),
  oidcClientSecret: setting(text(), { env: 'OIDC_CLIENT_SECRET', secret: true, description: 'Client secret at OIDC_ISSUER.' }),
  oidcName: setting(text(), { env: 'OIDC_NAME', default: 'Single sign-on', description: 'Button label for OIDC_ISSUER.' }),
  upstreamTimeout: setting(duration(1, 120), {
    env: 'UPSTREAM_TIMEOUT',
    default: '10s',
    description: 'Timeout of each request to an upstream identity provider.',
  }),
  upstreamAllowHttp: setting(bool(), { env: 'UPSTREAM_ALLOW_HTTP', default: 'false', description: 'Development only: allow an http OIDC_ISSUER on loopback.' }),
  brandName: setting(
    decoded('a name of 1 to 64 characters', (raw) => (raw.trim().length >= 1 && raw.trim().length <= 64 ? raw.trim() : undefined)),
    { env: 'BRAND_NAME', default: 'auth', description: 'Product name on every page: titles, headings, the sign-in page ("Sign in to …").' },
  ),
  brandLogoUrl: setting(text(), {
    env: 'BRAND_LOGO_URL',
    description:
      "Logo above every page: an https URL (added to the pages' `img-src`), or a PNG, JPEG, GIF, WebP or SVG file (at most 512 KiB) read at start and served from `/static/brand-logo`. Unset: the logo embedded at build time (`BRAND_LOGO_FILE=… bun run build`), if any.",
  }),
  brandAccent: setting(
    decoded('a colour such as #2952cc, #25c or rgb(41 82 204)', (raw) => {
      const rgb = parseColour(raw);
      return rgb ? hexColour(rgb) : undefined;
    }),
    { env: 'BRAND_ACCENT', description: 'Colour of primary buttons; their text is black or white, whichever contrasts more (WCAG AA ≥ 4.5:1 either way).' },
  ),
  brandSupportUrl: setting(
    decoded('an http(s) or mailto: URL', (raw) => (/^(https?|mailto):/i.test(raw) && URL.canParse(raw) ? raw : undefined)),
    { env: 'BRAND_SUPPORT_URL', description: 'Where people get help; linked from every error page.' },
  ),
});

/** The settings, read: BASE_URL and DEFAULT_AUDIENCE always have a value once loadConfig has run. */
export type Config = Readonly<StaticDecode<typeof ConfigSchema> & { baseUrl: string; defaultAudience: string }>;

/** Each setting's variable, default and description (docs/configuration.md's table), read off the schema. */
export const SETTINGS = Object.entries(ConfigSchema.properties).map(([key, s]) => {
  const m = s as unknown as SettingMeta;
  return { key, env: m.env, aliases: m.aliases, default: m.default, doc: m.description, secret: m.secret, allowEmpty: m.allowEmpty };
});

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
  // The raw strings, by field: an alias when the name itself is unset; empty means unset (the default
  // applies) except for settings that allow empty (lists: an empty list).
  const raw: Record<string, string> = {};
  for (const s of SETTINGS) {
    let v = env[s.env];
    for (const a of s.aliases ?? []) if (v === undefined || v === '') v = env[a];
    if (v === undefined || (v === '' && !s.allowEmpty)) continue;
    raw[s.key] = v;
  }
  let values: Record<string, unknown>;
  try {
    values = Value.Parse(ConfigSchema, raw) as Record<string, unknown>;
  } catch (e) {
    throw configError(e, raw);
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
  // Trusted issuers: their JWKS is fetched with the same rules as any other (https; http on loopback with JWKS_ALLOW_LOOPBACK).
  for (const [name, rules] of [
    ['ID_JAG_ISSUERS', values.idJagIssuers],
    ['WORKLOAD_ISSUERS', values.workloadIssuers],
  ] as const) {
    for (const r of (rules as { issuer: string; jwks_uri: string }[] | undefined) ?? []) {
      const u = URL.parse(r.jwks_uri);
      if (!u || !(u.protocol === 'https:' || (values.jwksAllowLoopback && u.protocol === 'http:' && isLoopbackHost(u.hostname))))
        throw new ConfigError(`invalid ${name}: jwks_uri ${JSON.stringify(r.jwks_uri)} must be https (http on loopback with JWKS_ALLOW_LOOPBACK=true)`);
      if (!URL.canParse(r.issuer)) throw new ConfigError(`invalid ${name}: issuer ${JSON.stringify(r.issuer)} must be a URL`);
    }
  }
  for (const r of (values.workloadIssuers as WorkloadRule[] | undefined) ?? []) {
    for (const s of r.scopes ?? [])
      if (!(values.scopes as string[]).includes(s)) throw new ConfigError(`invalid WORKLOAD_ISSUERS: scope ${s} is not in SCOPES`);
  }
  if (values.oidcIssuer && !values.oidcClientId) throw new ConfigError('OIDC_CLIENT_ID is required when OIDC_ISSUER is set');
  if (values.registration === 'token' && !values.registrationToken) throw new ConfigError('REGISTRATION_TOKEN is required when REGISTRATION=token');
  if (typeof values.registrationToken === 'string' && values.registrationToken.length < 16)
    throw new ConfigError('invalid REGISTRATION_TOKEN: use at least 16 characters');
  if (typeof values.pairwiseSalt === 'string' && values.pairwiseSalt.length < 32) throw new ConfigError('invalid PAIRWISE_SALT: use at least 32 characters');
  if (typeof values.adminToken === 'string' && values.adminToken.length < 16) throw new ConfigError('invalid ADMIN_TOKEN: use at least 16 characters');
  if (typeof values.introspectionToken === 'string' && values.introspectionToken.length < 16)
    throw new ConfigError('invalid INTROSPECTION_TOKEN: use at least 16 characters');
  if (values.googleClientId && !values.googleClientSecret) throw new ConfigError('GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set');
  if (values.githubClientId && !values.githubClientSecret) throw new ConfigError('GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set');
  return Object.freeze(values as Config);
}

/** A decoding failure of one field, told by its variable and what it allows. */
function configError(e: unknown, raw: Record<string, string>): ConfigError {
  if (!(e instanceof TransformDecodeError)) return new ConfigError(`invalid configuration: ${(e as Error).message}`);
  const key = e.path.replace(/^\//, '');
  const s = SETTINGS.find((x) => x.key === key);
  if (!s) return new ConfigError(`invalid configuration at ${e.path}: ${e.message}`);
  const shown = s.secret ? '(hidden)' : JSON.stringify(raw[key] ?? s.default);
  return new ConfigError(`invalid ${s.env}=${shown}: ${e.error instanceof NotAllowed ? '' : 'expected '}${e.message}`);
}

/** The environment merged with `.env` from `cwd` (the environment wins). */
export async function readEnvironment(env: Record<string, string | undefined>, cwd: string): Promise<Record<string, string | undefined>> {
  return (await readSettings(env, cwd)).env;
}

/** Where settings come from: the environment, and `.env` in `cwd` when there is one (its keys listed). */
export async function readSettings(
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<{ env: Record<string, string | undefined>; file: string | null; fileKeys: string[] }> {
  const path = `${cwd.replace(/\/+$/, '')}/.env`;
  const file = Bun.file(path);
  if (!(await file.exists())) return { env, file: null, fileKeys: [] };
  const parsed = parseDotenv(await file.text());
  return { env: { ...parsed, ...env }, file: path, fileKeys: Object.keys(parsed) };
}

/** Where one setting's value came from, for messages: "the environment", "/srv/auth/.env" or "the default". */
export function settingSource(name: string, processEnv: Record<string, string | undefined>, source: { file: string | null; fileKeys: string[] }): string {
  if (processEnv[name] !== undefined && processEnv[name] !== '') return 'the environment';
  if (source.file && source.fileKeys.includes(name)) return source.file;
  return 'the default';
}

/**
 * Names in the environment or `.env` that look like a setting but are none (`ACCES_TOKEN_TTL`, `BASEURL`),
 * each with the setting it is closest to: a typo would otherwise be ignored in silence.
 */
export function unknownSettings(env: Record<string, string | undefined>): { name: string; closest: string }[] {
  const known = SETTINGS.flatMap((s) => [s.env, ...(s.aliases ?? [])]);
  const knownSet = new Set(known);
  const squash = (n: string) => n.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const out: { name: string; closest: string }[] = [];
  for (const name of Object.keys(env)) {
    if (knownSet.has(name)) continue;
    let best: string | undefined;
    let bestD = Infinity;
    for (const k of known) {
      const d = squash(k) === squash(name) ? 0 : distance(name.toUpperCase(), k);
      if (d < bestD) [best, bestD] = [k, d];
    }
    // Short names only when they differ by case or underscores (HOME is not HOST); longer ones by a typo or two.
    const limit = name.length < 6 ? 0 : name.length < 12 ? 1 : 2;
    if (best && bestD <= limit) out.push({ name, closest: best });
  }
  return out;
}
