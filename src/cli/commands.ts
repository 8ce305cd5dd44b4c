// The command table: every command, its arguments, flags and examples. Argument parsing, `--help`, the
// global usage, the did-you-mean hints, README's command list and docs/commands.md are all made from it.

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  default?: string;
  /** The placeholder shown after a string flag: `--name NAME`. */
  value?: string;
  required?: boolean;
  help: string;
}

export type Section = 'Server' | 'Operators' | 'Client' | 'Resource server';

export interface CommandSpec {
  section: Section;
  summary: string;
  /** Positional arguments as shown: `ID`, `[NAME]`; bracketed ones are optional. */
  args?: string;
  flags: Record<string, FlagSpec>;
  examples: readonly string[];
  /** Extra lines printed under the flags. */
  notes?: readonly string[];
}

const json = { type: 'boolean', help: 'print JSON instead of text' } as const;
const yes = { type: 'boolean', short: 'y', help: 'do not ask for confirmation' } as const;

export const COMMANDS = {
  server: {
    section: 'Server',
    summary: 'serve (settings from the environment and ./.env)',
    flags: {},
    examples: ['auth server', 'BASE_URL=https://auth.example.com DATABASE_URL=postgres://auth@db/auth auth server'],
    notes: ['Every setting is listed in docs/configuration.md.'],
  },
  migrate: {
    section: 'Server',
    summary: 'apply pending database migrations and exit',
    flags: {},
    examples: ['auth migrate'],
  },
  healthcheck: {
    section: 'Server',
    summary: 'GET /health; exit 0 on 200, else 1',
    flags: {
      url: { type: 'string', value: 'URL', help: 'the health URL (default: from HOST and PORT)' },
      timeout: { type: 'string', value: 'SECONDS', default: '5', help: 'give up after this many seconds' },
    },
    examples: ['auth healthcheck', 'auth healthcheck --url http://127.0.0.1:8080/health'],
  },
  'clients add': {
    section: 'Operators',
    summary: 'register a client; prints its id (and its secret, once)',
    flags: {
      name: { type: 'string', value: 'NAME', required: true, help: 'the name people see on the consent page' },
      'redirect-uri': { type: 'string', multiple: true, value: 'URI', help: 'an allowed redirect URI (repeatable)' },
      'post-logout-redirect-uri': { type: 'string', multiple: true, value: 'URI', help: 'an allowed URI after logout (repeatable)' },
      public: { type: 'boolean', help: 'a public client (no secret; PKCE only)' },
      'grant-type': {
        type: 'string',
        multiple: true,
        value: 'GRANT',
        help: 'authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:device_code (repeatable; default: the first two)',
      },
      scope: { type: 'string', multiple: true, value: 'SCOPE', help: 'a scope the client may ask for (repeatable)' },
      'first-party': { type: 'boolean', help: 'skip the consent page (your own application)' },
      'auth-method': { type: 'string', value: 'METHOD', help: 'client_secret_basic (default), client_secret_post or private_key_jwt' },
      'jwks-uri': { type: 'string', value: 'URL', help: "private_key_jwt: the URL of the client's public keys (PRIVATE_KEY_JWT=true)" },
      jwks: { type: 'string', value: 'FILE', help: "private_key_jwt: a file holding the client's public JWKS" },
      'exchange-audience': {
        type: 'string',
        multiple: true,
        value: 'URL',
        help: 'token exchange: an API the client may exchange tokens for (repeatable; with --grant-type urn:ietf:params:oauth:grant-type:token-exchange)',
      },
      'require-dpop': { type: 'boolean', help: 'every token request must carry a DPoP proof (RFC 9449 dpop_bound_access_tokens)' },
      json,
    },
    examples: [
      'auth clients add --name "My app" --redirect-uri https://app.example/callback',
      'auth clients add --name "CI deploy" --grant-type client_credentials --scope deploy --json',
      'auth clients add --name "Agent" --grant-type client_credentials --jwks-uri https://agent.example/jwks.json',
      'auth clients add --name "MCP server" --grant-type urn:ietf:params:oauth:grant-type:token-exchange --exchange-audience https://api.example/',
    ],
  },
  'clients list': {
    section: 'Operators',
    summary: 'list the clients',
    flags: { json },
    examples: ['auth clients list', 'auth clients list --json'],
  },
  'clients show': {
    section: 'Operators',
    summary: "show one client's registration",
    args: 'ID',
    flags: { json },
    examples: ['auth clients show auth-cli'],
  },
  'clients remove': {
    section: 'Operators',
    summary: 'remove a client with its tokens, codes and consents',
    args: 'ID',
    flags: { yes },
    examples: ['auth clients remove c_5FQ2… --yes'],
  },
  'clients rotate-secret': {
    section: 'Operators',
    summary: "replace a client's secret; the old one stops working",
    args: 'ID',
    flags: { json },
    examples: ['auth clients rotate-secret c_5FQ2…'],
  },
  'users add': {
    section: 'Operators',
    summary: 'add a local user (password from stdin, or prompted twice)',
    args: 'NAME',
    flags: {
      email: { type: 'string', value: 'EMAIL', help: 'the e-mail address' },
      admin: { type: 'boolean', help: 'may use the admin console' },
    },
    examples: ['auth users add lena --email lena@example.com', 'printf \'%s\\n\' "$PASSWORD" | auth users add ci-bot'],
  },
  'users list': {
    section: 'Operators',
    summary: 'list the users',
    flags: { json },
    examples: ['auth users list'],
  },
  'users remove': {
    section: 'Operators',
    summary: 'remove a user with their sessions, consents and tokens',
    args: 'NAME',
    flags: { yes },
    examples: ['auth users remove lena --yes'],
  },
  'users passwd': {
    section: 'Operators',
    summary: "set a user's password (stdin, or prompted twice on a terminal)",
    args: 'NAME',
    flags: {},
    examples: ['auth users passwd lena'],
  },
  'users invite': {
    section: 'Operators',
    summary: 'create a user and print a one-time link to choose a password',
    args: 'NAME',
    flags: {
      email: { type: 'string', value: 'EMAIL', help: 'the e-mail address' },
      ttl: { type: 'string', value: 'DURATION', default: '24h', help: 'how long the link works' },
      json,
    },
    examples: ['auth users invite sam --email sam@example.com'],
    notes: ["The link starts with the server's BASE_URL, read from the environment and ./.env like `auth server` does."],
  },
  'users reset-password': {
    section: 'Operators',
    summary: 'print a one-time link that sets a new password',
    args: 'NAME',
    flags: {
      ttl: { type: 'string', value: 'DURATION', default: '1h', help: 'how long the link works' },
      json,
    },
    examples: ['auth users reset-password lena --ttl 30m'],
    notes: ["The link starts with the server's BASE_URL, read from the environment and ./.env like `auth server` does."],
  },
  'keys list': {
    section: 'Operators',
    summary: 'list the published signing keys',
    flags: { json },
    examples: ['auth keys list'],
  },
  'keys rotate': {
    section: 'Operators',
    summary: 'new signing keys; the old ones stay published until their tokens expire',
    flags: {},
    examples: ['auth keys rotate'],
  },
  audit: {
    section: 'Operators',
    summary: 'the audit log, newest first',
    flags: {
      since: { type: 'string', value: 'WHEN', default: '24h', help: 'a duration back from now (24h, 7d) or a date (2026-11-01)' },
      user: { type: 'string', value: 'NAME', help: "only this user's events" },
      limit: { type: 'string', value: 'N', default: '1000', help: 'at most N rows (1 to 100000)' },
      json,
    },
    examples: ['auth audit --since 7d --user lena', 'auth audit --json | jq .'],
  },
  export: {
    section: 'Operators',
    summary: 'write a backup: clients, users, keys, live tokens (JSON lines)',
    flags: { output: { type: 'string', value: 'FILE', help: 'write to FILE (mode 0600) instead of stdout' } },
    examples: ['auth export --output backup.jsonl'],
  },
  import: {
    section: 'Operators',
    summary: 'load an export into the configured database',
    flags: { input: { type: 'string', value: 'FILE', help: 'read FILE instead of stdin' } },
    examples: ['DATABASE_URL=postgres://auth@db/auth auth import --input backup.jsonl'],
  },
  login: {
    section: 'Client',
    summary: 'sign in to a server or an MCP server and keep the tokens',
    args: 'TARGET',
    flags: {
      name: { type: 'string', value: 'NAME', help: "the credentials' name (default: the server's host)" },
      device: { type: 'boolean', help: 'use the device flow (a code to enter on another device)' },
      'no-browser': { type: 'boolean', help: 'print the sign-in link instead of opening a browser' },
      open: { type: 'boolean', help: 'device flow: also open the browser at the verification link' },
      'no-qr': { type: 'boolean', help: 'device flow: do not draw the QR code' },
      port: { type: 'string', value: 'PORT', help: 'the loopback port for the redirect (for SSH port forwarding)' },
      scope: { type: 'string', multiple: true, value: 'SCOPE', help: 'a scope to ask for (repeatable)' },
      'client-id': { type: 'string', value: 'ID', help: 'use this client instead of auth-cli or registration' },
      resource: { type: 'string', value: 'URL', help: 'the resource indicator (RFC 8707) to ask a token for' },
      timeout: { type: 'string', value: 'DURATION', default: '5m', help: 'give up waiting for the sign-in after this long' },
      'no-dpop': { type: 'boolean', help: 'bearer tokens even when the server offers DPoP-bound ones' },
    },
    examples: ['auth login http://localhost:8080', 'auth login https://mcp.example.com/mcp --device', 'auth login localhost:8080 --name dev'],
    notes: ['A TARGET without a scheme is http:// on loopback addresses and https:// elsewhere.'],
  },
  token: {
    section: 'Client',
    summary: 'print a valid access token, refreshing it when it expires within 60 s',
    args: '[NAME]',
    flags: {
      json,
      'dpop-proof': {
        type: 'string',
        value: 'METHOD',
        help: 'print a DPoP proof header value for METHOD and --url instead of the token (DPoP-bound credentials)',
      },
      url: { type: 'string', value: 'URL', help: 'with --dpop-proof: the URL the request goes to' },
    },
    examples: [
      'curl -H "Authorization: DPoP $(auth token)" -H "DPoP: $(auth token --dpop-proof GET --url http://localhost:8081/mcp)" http://localhost:8081/mcp',
      'curl -H "Authorization: Bearer $(auth token)" http://localhost:8081/mcp     # credentials from auth login --no-dpop',
    ],
  },
  curl: {
    section: 'Client',
    summary: 'run curl with a valid token (and a fresh DPoP proof when the token is bound)',
    args: 'URL [CURL_ARGS…]',
    flags: { name: { type: 'string', value: 'NAME', help: 'the credentials to use (default: the only ones)' } },
    examples: ['auth curl http://localhost:8081/mcp', 'auth curl https://mcp.example/mcp -X POST -H "Content-Type: application/json" -d @request.json'],
    notes: ['Flags after URL go to curl as they are; -X/--request sets the method the proof names (POST when -d is given).'],
  },
  logout: {
    section: 'Client',
    summary: 'revoke the tokens (RFC 7009) and forget them',
    args: '[NAME]',
    flags: {},
    examples: ['auth logout localhost'],
  },
  status: {
    section: 'Client',
    summary: 'who you are signed in as, where, with which scopes, until when',
    flags: { json },
    examples: ['auth status'],
  },
  proxy: {
    section: 'Resource server',
    summary: 'an OAuth gate in front of an MCP or HTTP server',
    flags: {
      upstream: { type: 'string', value: 'URL', required: true, help: 'the server to protect' },
      resource: { type: 'string', value: 'URL', help: "this gate's public URL, the tokens' audience (default: the gate's own URL)" },
      scope: { type: 'string', multiple: true, value: 'SCOPE', help: 'a scope every request needs (repeatable)' },
      port: { type: 'string', value: 'PORT', default: '8081', help: 'the port to listen on' },
      host: { type: 'string', value: 'HOST', default: '0.0.0.0', help: 'the address to listen on' },
      issuer: { type: 'string', value: 'URL', help: 'the authorization server (default: BASE_URL)' },
      name: { type: 'string', value: 'NAME', help: 'the resource name shown to people (RFC 9728 resource_name)' },
      'exchange-to': {
        type: 'string',
        value: 'URL',
        help: "send the upstream a token for this audience, exchanged for the caller's (RFC 8693), instead of identity headers",
      },
      'client-id': { type: 'string', value: 'ID', help: "--exchange-to: the proxy's client (its secret from AUTH_PROXY_CLIENT_SECRET)" },
      'require-dpop': { type: 'boolean', help: 'refuse bearer tokens: DPoP-bound tokens with proofs only (RFC 9449)' },
      'dpop-nonce': { type: 'boolean', help: 'require a nonce of the proxy in DPoP proofs (use_dpop_nonce, RFC 9449 §9)' },
    },
    examples: [
      'auth proxy --upstream http://127.0.0.1:3000 --resource http://localhost:8081/mcp --scope openid',
      'AUTH_PROXY_CLIENT_SECRET=cs_… auth proxy --upstream http://127.0.0.1:3000 --exchange-to https://api.example/ --client-id c_…',
    ],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const SECTIONS: readonly Section[] = ['Server', 'Operators', 'Client', 'Resource server'];

/** The commands that have subcommands (`clients`, `users`, `keys`). */
export function groupOf(name: string): string[] {
  return (Object.keys(COMMANDS) as string[]).filter((c) => c.startsWith(`${name} `)).map((c) => c.slice(name.length + 1));
}

export function specOf(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMANDS, name) ? (COMMANDS as Record<string, CommandSpec>)[name] : undefined;
}

/** `--name NAME`, `[--redirect-uri URI]…`, `[--json]`. */
function flagSynopsis(name: string, f: FlagSpec): string {
  const body = f.type === 'string' ? `--${name} ${f.value ?? 'VALUE'}` : `--${name}`;
  return `${f.required ? body : `[${body}]`}${f.multiple ? '…' : ''}`;
}

export function synopsis(name: string, spec: CommandSpec = specOf(name)!): string {
  return [name, spec.args, ...Object.entries(spec.flags).map(([n, f]) => flagSynopsis(n, f))].filter(Boolean).join(' ');
}

function wrap(words: string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines;
}

/** The synopsis split on flag boundaries so no line passes 100 columns. */
function synopsisLines(name: string, spec: CommandSpec, indent: string): string[] {
  const parts = [[name, spec.args].filter(Boolean).join(' '), ...Object.entries(spec.flags).map(([n, f]) => flagSynopsis(n, f))];
  return wrap(parts, 100, indent);
}

/** `auth <command> --help`. */
export function commandHelp(name: string): string {
  const spec = specOf(name)!;
  const out = [`auth ${name} — ${spec.summary}`, '', `Usage: ${synopsisLines(`auth ${name}`, spec, '         ').join('\n')}`, ''];
  const rows: [string, string][] = Object.entries(spec.flags).map(([n, f]) => [
    `${f.short ? `-${f.short}, ` : '    '}--${n}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`,
    `${f.help}${f.multiple && !f.help.includes('repeatable') ? ' (repeatable)' : ''}${f.default !== undefined ? ` (default: ${f.default})` : ''}${f.required ? ' (required)' : ''}`,
  ]);
  rows.push(['-h, --help', 'show this help']);
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  out.push('Flags:', ...rows.map(([l, r]) => `  ${l.padEnd(w)}${r}`), '');
  if (spec.notes?.length) out.push(...spec.notes, '');
  out.push(spec.examples.length > 1 ? 'Examples:' : 'Example:', ...spec.examples.map((e) => `  ${e}`), '');
  return `${out.join('\n')}`;
}

/** `auth clients --help`: the subcommands of a group. */
export function groupHelp(group: string): string {
  const subs = groupOf(group);
  const w = Math.max(...subs.map((s) => s.length)) + 2;
  return [
    `auth ${group} — ${subs.join(', ')}`,
    '',
    `Usage: auth ${group} <command> [flags]`,
    '',
    'Commands:',
    ...subs.map((s) => `  ${s.padEnd(w)}${specOf(`${group} ${s}`)!.summary}`),
    '',
    `Run 'auth ${group} <command> --help' for its flags and an example.`,
    '',
  ].join('\n');
}

const SUMMARY_COLUMN = 36;

/** Every command with all its flags, by section: the body of `auth help`, README and docs/commands.md. */
export function commandList(): string {
  const out: string[] = [];
  for (const section of SECTIONS) {
    out.push(`${section}:`);
    for (const [name, spec] of Object.entries(COMMANDS) as [string, CommandSpec][]) {
      if (spec.section !== section) continue;
      const lines = synopsisLines(`  ${name}`, spec, '      ');
      const last = lines.length - 1;
      if (lines[last]!.length + 2 <= SUMMARY_COLUMN) lines[last] = lines[last]!.padEnd(SUMMARY_COLUMN) + spec.summary;
      else lines.push(' '.repeat(SUMMARY_COLUMN) + spec.summary);
      out.push(...lines);
    }
    out.push('');
  }
  return out.join('\n');
}

export function globalUsage(): string {
  return [
    'auth — OAuth 2.1 authorization server and OpenID Provider for CLIs, MCP clients and devices',
    '',
    'Usage: auth <command> [flags]',
    '',
    commandList(),
    'Other:',
    `${'  version, --version, -v'.padEnd(SUMMARY_COLUMN)}print the version`,
    `${'  help [COMMAND], --help, -h'.padEnd(SUMMARY_COLUMN)}this help, or one command's (also: auth COMMAND --help)`,
    '',
    'Exit codes: 0 success, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}
