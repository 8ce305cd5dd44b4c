/** @jsxImportSource @kitajs/html */
// The admin console (/admin): server-rendered, every action a plain form (CSRF token in each), no script
// needed — the one script (admin.js) only adds copy buttons.
import type { Children } from '@kitajs/html';
import { type Brand, Layout } from './layout.tsx';

const SECTIONS = [
  ['/admin', 'Dashboard'],
  ['/admin/clients', 'Clients'],
  ['/admin/users', 'Users'],
  ['/admin/keys', 'Keys'],
  ['/admin/audit', 'Audit log'],
] as const;

function Frame(p: { brand: Brand; title: string; current: string; admin: string; csrf: string; children: Children; message?: string; error?: string }): string {
  return (
    <Layout brand={p.brand} title={`${p.title} · Admin`} wide scripts={['/static/admin.js']}>
      <nav class="admin" aria-label="Admin sections">
        {SECTIONS.map(([href, label]) => (
          <a href={href} aria-current={href === p.current ? 'page' : undefined}>
            {label}
          </a>
        ))}
        <span class="muted grow" safe>
          {p.admin}
        </span>
        <form method="post" action="/logout" class="inline">
          <input type="hidden" name="csrf" value={p.csrf} />
          <button type="submit" class="secondary small">
            Sign out
          </button>
        </form>
      </nav>
      <h1 safe>{p.title}</h1>
      {p.message ? (
        <p class="ok" role="status" safe>
          {p.message}
        </p>
      ) : (
        ''
      )}
      {p.error ? (
        <p class="error" role="alert" safe>
          {p.error}
        </p>
      ) : (
        ''
      )}
      {p.children}
    </Layout>
  ) as string;
}

export interface Ctx {
  brand: Brand;
  admin: string;
  csrf: string;
  message?: string;
  error?: string;
}

const when = (s: number | null | undefined) => (s ? new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 16) : '—');

function Csrf(p: { csrf: string }): string {
  return (<input type="hidden" name="csrf" value={p.csrf} />) as string;
}

/** A secret or link shown once, with a copy button (admin.js; selectable text without it). */
function ShownOnce(p: { label: string; value: string }): string {
  return (
    <div class="shown-once">
      <p>
        <strong safe>{p.label}</strong> — shown only now; it is stored hashed.
      </p>
      <p class="secret">
        <code safe>{p.value}</code>{' '}
        <button type="button" class="small copy" data-copy={p.value}>
          Copy
        </button>
      </p>
    </div>
  ) as string;
}

function Pager(p: { base: string; page: number; hasNext: boolean }): string {
  const link = (n: number) => `${p.base}${p.base.includes('?') ? '&' : '?'}page=${n}`;
  return (
    <p class="pager">
      {p.page > 1 ? <a href={link(p.page - 1)}>← Newer</a> : ''} <span class="muted">page {String(p.page)}</span>{' '}
      {p.hasNext ? <a href={link(p.page + 1)}>Older →</a> : ''}
    </p>
  ) as string;
}

// ---------------------------------------------------------------- dashboard

export interface Activity {
  /** 24 hourly buckets, oldest first. */
  hours: { start: number; signins: number; tokens: number }[];
}

/** Two series as bars in an SVG (no script, no external asset). */
function Chart(p: Activity): string {
  const max = Math.max(1, ...p.hours.map((h) => Math.max(h.signins, h.tokens)));
  const w = 24 * 20;
  const h = 120;
  const bar = (v: number) => Math.round((v / max) * (h - 20));
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label="Sign-ins and tokens issued per hour, last 24 hours">
      {p.hours.map((b, i) => (
        <>
          <rect x={String(i * 20 + 2)} y={String(h - bar(b.tokens))} width="8" height={String(bar(b.tokens))} class="tokens">
            <title safe>{`${when(b.start)}: ${b.tokens} tokens`}</title>
          </rect>
          <rect x={String(i * 20 + 10)} y={String(h - bar(b.signins))} width="8" height={String(bar(b.signins))} class="signins">
            <title safe>{`${when(b.start)}: ${b.signins} sign-ins`}</title>
          </rect>
        </>
      ))}
    </svg>
  ) as string;
}

export function DashboardPage(
  p: Ctx & {
    stats: { users: number; clients: number; sessions: number; families: number; deviceCodes: number };
    activity: Activity;
    failures: { time: number; event: string; detail: string }[];
  },
): string {
  const total = (k: 'signins' | 'tokens') => p.activity.hours.reduce((n, b) => n + b[k], 0);
  return (
    <Frame title="Dashboard" current="/admin" {...p}>
      <ul class="stats">
        <li>
          <strong>{String(p.stats.users)}</strong> users
        </li>
        <li>
          <strong>{String(p.stats.clients)}</strong> clients
        </li>
        <li>
          <strong>{String(p.stats.sessions)}</strong> live sessions
        </li>
        <li>
          <strong>{String(p.stats.families)}</strong> live refresh-token families
        </li>
        <li>
          <strong>{String(p.stats.deviceCodes)}</strong> device codes waiting
        </li>
      </ul>
      <h2>Last 24 hours</h2>
      <p class="muted">
        <span class="key signins" /> {String(total('signins'))} sign-ins · <span class="key tokens" /> {String(total('tokens'))} tokens issued
      </p>
      {Chart(p.activity)}
      <h2>Recent failures</h2>
      {p.failures.length === 0 ? <p class="muted">None in the last 24 hours.</p> : ''}
      <ul class="plain">
        {p.failures.map((f) => (
          <li>
            <span class="muted">{when(f.time)}</span> <code safe>{f.event}</code> <span safe>{f.detail}</span>
          </li>
        ))}
      </ul>
    </Frame>
  ) as string;
}

// ---------------------------------------------------------------- clients

export interface ClientView {
  id: string;
  name: string;
  origin: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  firstParty: boolean;
  authMethod: string;
  lastUsedAt: number | null;
  createdAt: number;
}

const ORIGIN_LABEL: Record<string, string> = {
  operator: 'operator',
  seed: 'built in',
  dynamic: 'registered (DCR)',
  metadata_document: 'metadata document',
};

export function ClientsPage(p: Ctx & { q: string; page: number; hasNext: boolean; clients: ClientView[] }): string {
  return (
    <Frame title="Clients" current="/admin/clients" {...p}>
      <form method="get" action="/admin/clients" class="search">
        <label for="q">Search by name or id</label>
        <input type="text" id="q" name="q" value={p.q} />
        <button type="submit" class="small">
          Search
        </button>{' '}
        <a class="button small-link" href="/admin/clients/new">
          New client
        </a>
      </form>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Grants</th>
            <th>Last used</th>
          </tr>
        </thead>
        <tbody>
          {p.clients.map((c) => (
            <tr>
              <td class="name">
                <a href={`/admin/clients/${encodeURIComponent(c.id)}`} safe>
                  {c.name}
                </a>
                <br />
                <code safe>{c.id}</code>
              </td>
              <td safe>{ORIGIN_LABEL[c.origin] ?? c.origin}</td>
              <td safe>{c.grantTypes.join(', ')}</td>
              <td>{when(c.lastUsedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.clients.length === 0 ? <p class="muted">No client matches.</p> : ''}
      {Pager({ base: `/admin/clients?q=${encodeURIComponent(p.q)}`, page: p.page, hasNext: p.hasNext })}
    </Frame>
  ) as string;
}

export const GRANT_CHOICES = ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'];

function ClientFields(p: { c?: Partial<ClientView>; isNew: boolean }): string {
  const grants = p.c?.grantTypes ?? ['authorization_code', 'refresh_token'];
  return (
    <>
      <label for="name">Name</label>
      <input type="text" id="name" name="name" value={p.c?.name ?? ''} required maxlength="200" />
      <label for="redirect_uris">Redirect URIs (one per line)</label>
      <textarea id="redirect_uris" name="redirect_uris" rows="3" safe>
        {(p.c?.redirectUris ?? []).join('\n')}
      </textarea>
      <fieldset>
        <legend>Grants</legend>
        {GRANT_CHOICES.map((g) => (
          <label class="check">
            <input type="checkbox" name="grant_types" value={g} checked={grants.includes(g)} /> <span safe>{g}</span>
          </label>
        ))}
      </fieldset>
      <label for="scopes">Scopes (space separated; empty: every scope)</label>
      <input type="text" id="scopes" name="scopes" value={(p.c?.scopes ?? []).join(' ')} />
      <label class="check">
        <input type="checkbox" name="first_party" value="1" checked={!!p.c?.firstParty} /> First party (no consent screen)
      </label>
      {p.isNew ? (
        <label class="check">
          <input type="checkbox" name="public" value="1" /> Public client (no secret: native apps, CLIs)
        </label>
      ) : (
        ''
      )}
    </>
  ) as string;
}

export function ClientNewPage(p: Ctx & { values?: Partial<ClientView> }): string {
  return (
    <Frame title="New client" current="/admin/clients" {...p}>
      <form method="post" action="/admin/clients">
        <Csrf csrf={p.csrf} />
        <ClientFields c={p.values} isNew />
        <button type="submit">Create client</button>
      </form>
    </Frame>
  ) as string;
}

export function ClientPage(p: Ctx & { client: ClientView; secret?: string; confirmRemove?: boolean }): string {
  const c = p.client;
  const base = `/admin/clients/${encodeURIComponent(c.id)}`;
  return (
    <Frame title={c.name} current="/admin/clients" {...p}>
      <p class="muted">
        <code safe>{c.id}</code> · <span safe>{ORIGIN_LABEL[c.origin] ?? c.origin}</span> · <span safe>{c.authMethod}</span> · created {when(c.createdAt)} ·
        last used {when(c.lastUsedAt)}
      </p>
      {p.secret ? <ShownOnce label="Client secret" value={p.secret} /> : ''}
      {p.confirmRemove ? (
        <form method="post" action={`${base}/remove`} class="danger-zone">
          <Csrf csrf={p.csrf} />
          <p>
            Remove <strong safe>{c.name}</strong>? Its refresh tokens and remembered consent go with it.
          </p>
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" class="danger">
            Remove client
          </button>{' '}
          <a href={base}>Cancel</a>
        </form>
      ) : (
        ''
      )}
      <h2>Settings</h2>
      <form method="post" action={base}>
        <Csrf csrf={p.csrf} />
        <ClientFields c={c} isNew={false} />
        <button type="submit">Save</button>
      </form>
      <h2>Actions</h2>
      <div class="actions">
        {c.authMethod !== 'none' ? (
          <form method="post" action={`${base}/rotate-secret`}>
            <Csrf csrf={p.csrf} />
            <button type="submit" class="secondary">
              Rotate secret
            </button>
          </form>
        ) : (
          ''
        )}
        <a class="button secondary danger-link" href={`${base}?remove=1`}>
          Remove…
        </a>
      </div>
    </Frame>
  ) as string;
}

// ---------------------------------------------------------------- users

export interface UserView {
  id: string;
  username: string;
  email: string | null;
  isAdmin: boolean;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: number;
}

export function UsersPage(p: Ctx & { q: string; page: number; hasNext: boolean; users: UserView[] }): string {
  return (
    <Frame title="Users" current="/admin/users" {...p}>
      <form method="get" action="/admin/users" class="search">
        <label for="q">Search by name or email</label>
        <input type="text" id="q" name="q" value={p.q} />
        <button type="submit" class="small">
          Search
        </button>{' '}
        <a class="button small-link" href="/admin/users/new">
          New user
        </a>
      </form>
      <table>
        <thead>
          <tr>
            <th>User</th>
            <th>Email</th>
            <th>Role</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {p.users.map((u) => (
            <tr>
              <td class="name">
                <a href={`/admin/users/${encodeURIComponent(u.id)}`} safe>
                  {u.username}
                </a>
              </td>
              <td class="name" safe>
                {u.email ?? '—'}
              </td>
              <td>{u.disabled ? 'disabled' : u.isAdmin ? 'admin' : 'user'}</td>
              <td>{when(u.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.users.length === 0 ? <p class="muted">No user matches.</p> : ''}
      {Pager({ base: `/admin/users?q=${encodeURIComponent(p.q)}`, page: p.page, hasNext: p.hasNext })}
    </Frame>
  ) as string;
}

export function UserNewPage(p: Ctx & { values?: { username?: string; email?: string } }): string {
  return (
    <Frame title="New user" current="/admin/users" {...p}>
      <form method="post" action="/admin/users">
        <Csrf csrf={p.csrf} />
        <label for="username">User name</label>
        <input type="text" id="username" name="username" value={p.values?.username ?? ''} required maxlength="64" />
        <label for="email">Email (optional; trusted as verified)</label>
        <input type="email" id="email" name="email" value={p.values?.email ?? ''} />
        <label class="check">
          <input type="checkbox" name="admin" value="1" /> Administrator
        </label>
        <p class="muted">The next page shows a one-time invitation link for the person to choose a password.</p>
        <button type="submit">Create user</button>
      </form>
    </Frame>
  ) as string;
}

export interface SessionView {
  familyId: string;
  clientName: string;
  clientId: string;
  since: number;
  until: number;
}

export function UserPage(
  p: Ctx & {
    user: UserView;
    apps: { clientId: string; clientName: string; scope: string; sessions: SessionView[] }[];
    link?: { url: string; expiresAt: number };
    confirmRemove?: boolean;
  },
): string {
  const u = p.user;
  const base = `/admin/users/${encodeURIComponent(u.id)}`;
  const action = (path: string, label: string, extra: Record<string, string> = {}, cls = 'secondary') => (
    <form method="post" action={`${base}/${path}`}>
      <Csrf csrf={p.csrf} />
      {Object.entries(extra).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <button type="submit" class={cls}>
        {label}
      </button>
    </form>
  );
  return (
    <Frame title={u.username} current="/admin/users" {...p}>
      <p class="muted">
        <span safe>{u.email ?? 'no email'}</span> · {u.isAdmin ? 'administrator' : 'user'}
        {u.disabled ? ' · disabled' : ''} · {u.hasPassword ? 'has a password' : 'no password yet'} · created {when(u.createdAt)}
      </p>
      {p.link ? <ShownOnce label={`Password link (until ${when(p.link.expiresAt)})`} value={p.link.url} /> : ''}
      {p.confirmRemove ? (
        <form method="post" action={`${base}/remove`} class="danger-zone">
          <Csrf csrf={p.csrf} />
          <p>
            Remove <strong safe>{u.username}</strong>? Their sessions, consent and tokens go with them.
          </p>
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit" class="danger">
            Remove user
          </button>{' '}
          <a href={base}>Cancel</a>
        </form>
      ) : (
        ''
      )}
      <h2>Actions</h2>
      <div class="actions">
        {action('link', u.hasPassword ? 'Password reset link' : 'Invitation link')}
        {action('admin', u.isAdmin ? 'Remove admin role' : 'Make admin', { admin: u.isAdmin ? '0' : '1' })}
        {action('disabled', u.disabled ? 'Enable' : 'Disable', { disabled: u.disabled ? '0' : '1' })}
        <a class="button secondary danger-link" href={`${base}?remove=1`}>
          Remove…
        </a>
      </div>
      <h2>Connected apps and sessions</h2>
      {p.apps.length === 0 ? <p class="muted">None.</p> : ''}
      {p.apps.map((a) => (
        <section class="app">
          <h3 class="name" safe>
            {a.clientName}
          </h3>
          <p class="muted">
            <code safe>{a.clientId}</code> <span safe>{a.scope}</span>
          </p>
          <ul class="plain">
            {a.sessions.map((s) => (
              <li>
                since {when(s.since)}, until {when(s.until)} {action('revoke', 'Revoke', { family_id: s.familyId }, 'secondary small')}
              </li>
            ))}
          </ul>
          {action('revoke', 'Revoke app', { client_id: a.clientId }, 'secondary small')}
        </section>
      ))}
    </Frame>
  ) as string;
}

// ---------------------------------------------------------------- keys

export function KeysPage(p: Ctx & { keys: { kid: string; alg: string; signing: boolean; createdAt: number; expiresAt: number | null }[] }): string {
  return (
    <Frame title="Signing keys" current="/admin/keys" {...p}>
      <table>
        <thead>
          <tr>
            <th>Key id</th>
            <th>Algorithm</th>
            <th>Status</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {p.keys.map((k) => (
            <tr>
              <td>
                <code safe>{k.kid}</code>
              </td>
              <td safe>{k.alg}</td>
              <td>{k.signing ? 'signing' : `published until ${when(k.expiresAt)}`}</td>
              <td>{when(k.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action="/admin/keys/rotate">
        <Csrf csrf={p.csrf} />
        <p class="muted">A new access-token key and a new ID-token key; old keys stay published until their tokens expire.</p>
        <button type="submit" class="secondary">
          Rotate keys
        </button>
      </form>
    </Frame>
  ) as string;
}

// ---------------------------------------------------------------- audit

export interface AuditFilter {
  user: string;
  client: string;
  event: string;
  since: string;
  until: string;
}

export function AuditPage(
  p: Ctx & {
    filter: AuditFilter;
    events: readonly string[];
    rows: { time: number; event: string; user: string; client: string; ip: string; details: string; count: number }[];
    page: number;
    hasNext: boolean;
    query: string;
  },
): string {
  return (
    <Frame title="Audit log" current="/admin/audit" {...p}>
      <form method="get" action="/admin/audit" class="filters">
        <label for="user">User name</label>
        <input type="text" id="user" name="user" value={p.filter.user} />
        <label for="client">Client id</label>
        <input type="text" id="client" name="client" value={p.filter.client} />
        <label for="event">Event</label>
        <select id="event" name="event">
          <option value="">any</option>
          {p.events.map((e) => (
            <option value={e} selected={e === p.filter.event} safe>
              {e}
            </option>
          ))}
        </select>
        <label for="since">From (UTC, YYYY-MM-DD or with HH:MM)</label>
        <input type="text" id="since" name="since" value={p.filter.since} placeholder="last 7 days" />
        <label for="until">To</label>
        <input type="text" id="until" name="until" value={p.filter.until} placeholder="now" />
        <button type="submit" class="small">
          Filter
        </button>{' '}
        <a href={`/admin/audit.csv?${p.query}`}>Download CSV</a>
      </form>
      <table>
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Event</th>
            <th>User</th>
            <th>Client</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r) => (
            <tr>
              <td>{when(r.time)}</td>
              <td>
                <code safe>{r.event}</code>
                {r.count > 1 ? ` ×${r.count}` : ''}
              </td>
              <td class="name" safe>
                {r.user}
              </td>
              <td class="name">
                <code safe>{r.client}</code>
              </td>
              <td class="name details" safe>
                {r.details}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.rows.length === 0 ? <p class="muted">No entry matches.</p> : ''}
      {Pager({ base: `/admin/audit?${p.query}`, page: p.page, hasNext: p.hasNext })}
    </Frame>
  ) as string;
}
