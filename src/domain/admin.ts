// What the admin console reads: the dashboard's counts, activity and failures; searching and paging clients
// and users; the audit log with filters, as rows or CSV.
import { nowS } from '../clock.ts';
import type { AuditQuery, AuditRow, ClientRow, UserRow } from '../store/store.ts';
import type { AuditEvent } from './audit.ts';
import type { Deps } from './deps.ts';

export const PAGE_SIZE = 50;

/** Every event the audit log records, for the filter. */
export const AUDIT_EVENTS: readonly AuditEvent[] = [
  'login.success',
  'login.failure',
  'consent.granted',
  'consent.revoked',
  'token.issued',
  'refresh.reuse_detected',
  'refresh.family_revoked',
  'client.registered',
  'client.created',
  'client.updated',
  'client.removed',
  'client.secret_rotated',
  'key.rotated',
  'device.approved',
  'device.denied',
  'password.set',
  'user.created',
  'user.updated',
  'user.removed',
  'user.link_created',
  'session.revoked',
];

export async function dashboard(deps: Pick<Deps, 'audit' | 'clock' | 'store'>) {
  const now = nowS(deps.clock);
  await deps.audit.flush(); // the last second's events too
  const since = Math.floor(now / 3600) * 3600 - 23 * 3600;
  const [stats, signins, tokens, failures] = await Promise.all([
    deps.store.stats(now),
    deps.store.audit.search({ since, event: 'login.success', limit: 100_000 }),
    deps.store.audit.search({ since, event: 'token.issued', limit: 100_000 }),
    deps.store.audit.search({ since, event: 'login.failure', limit: 10 }),
  ]);
  const hours = Array.from({ length: 24 }, (_, i) => ({ start: since + i * 3600, signins: 0, tokens: 0 }));
  const bucket = (t: number) => hours[Math.min(23, Math.max(0, Math.floor((t - since) / 3600)))]!;
  for (const r of signins) bucket(r.time).signins += r.count;
  for (const r of tokens) bucket(r.time).tokens += r.count;
  return {
    stats,
    activity: { hours },
    failures: failures.map((f) => ({ time: f.time, event: f.event, detail: describeDetails(f) })),
  };
}

/** One page of the items matching `q` (case-insensitive, in the given fields), and whether there is more. */
export function pageOf<T>(items: T[], q: string, fields: (x: T) => (string | null)[], page: number): { items: T[]; hasNext: boolean } {
  const needle = q.trim().toLowerCase();
  const matching = needle ? items.filter((x) => fields(x).some((f) => f?.toLowerCase().includes(needle))) : items;
  const start = (page - 1) * PAGE_SIZE;
  return { items: matching.slice(start, start + PAGE_SIZE), hasNext: matching.length > start + PAGE_SIZE };
}

export async function searchClients(deps: Pick<Deps, 'store'>, q: string, page: number) {
  // Newest first; metadata-document clients are capped (CIMD_MAX_CLIENTS), the others are the operator's.
  const all = (await deps.store.clients.list()).reverse();
  return pageOf<ClientRow>(all, q, (c) => [c.name, c.id], page);
}

export async function searchUsers(deps: Pick<Deps, 'store'>, q: string, page: number) {
  const all = (await deps.store.users.list()).reverse();
  return pageOf<UserRow>(all, q, (u) => [u.username, u.email], page);
}

/** "2026-12-05" or "2026-12-05 14:30" (UTC) → unix seconds; undefined when empty; null when unreadable. */
export function parseWhen(text: string): number | undefined | null {
  const t = text.trim();
  if (!t) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/.exec(t);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0));
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

export async function searchAudit(deps: Pick<Deps, 'audit' | 'store'>, q: Omit<AuditQuery, 'limit'> & { limit?: number }) {
  await deps.audit.flush();
  const limit = q.limit ?? PAGE_SIZE;
  // One more than a page says whether there is a next one.
  const rows = await deps.store.audit.search({ ...q, limit: limit + 1 });
  return { rows: rows.slice(0, limit), hasNext: rows.length > limit };
}

/** The details of an entry as one line ("method=password reason=disabled"). */
export function describeDetails(r: AuditRow): string {
  return Object.entries(r.details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** RFC 4180 CSV of audit rows, with the user named when known. Cells that a spreadsheet would run as a
 * formula (=, +, -, @) are prefixed with a quote (OWASP CSV injection). */
export function auditCsv(rows: AuditRow[], names: Map<string, string>): string {
  const cell = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = ['time,event,count,user_id,username,client_id,ip,details'];
  for (const r of rows) {
    lines.push(
      [
        new Date(r.time * 1000).toISOString(),
        r.event,
        String(r.count),
        r.userId ?? '',
        r.userId ? (names.get(r.userId) ?? '') : '',
        r.clientId ?? '',
        r.ip ?? '',
        JSON.stringify(r.details),
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
