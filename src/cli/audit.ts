// `auth audit [--since 24h|2026-11-01] [--user NAME] [--limit 1000] [--json]` — the audit log, newest first,
// with user and client names beside their ids.
import { nowS } from '../clock.ts';
import { parseDuration } from '../config.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { commandDeps, printJson } from './env.ts';
import { isoSeconds, printTable } from './output.ts';

export async function auditCommand(args: string[]): Promise<number> {
  const { values } = parse(args, 'audit');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit is 1 to 100000');
  const ago = parseDuration(values.since!);
  const date = ago === null ? Date.parse(values.since!) : NaN;
  if (ago === null && Number.isNaN(date)) throw new UsageError('--since is a duration (24h, 7d) or a date (2026-11-01)');
  const { deps, close } = await commandDeps();
  try {
    const since = ago !== null ? nowS(deps.clock) - ago : Math.floor(date / 1000);
    let userId: string | undefined;
    if (values.user) {
      const u = await deps.store.users.getByUsername(values.user);
      if (!u) throw new CommandError(`no user ${values.user}`);
      userId = u.id;
    }
    const rows = await deps.store.audit.list({ since, userId, limit });
    // Names of the users and clients the rows mention, each looked up once (removed ones have none).
    const users = new Map<string, string | null>();
    const clients = new Map<string, string | null>();
    for (const r of rows) {
      if (r.userId && !users.has(r.userId)) users.set(r.userId, (await deps.store.users.get(r.userId))?.username ?? null);
      if (r.clientId && !clients.has(r.clientId)) clients.set(r.clientId, (await deps.store.clients.get(r.clientId))?.name ?? null);
    }
    const out = rows.map((r) => ({
      time: isoSeconds(r.time),
      event: r.event,
      user_id: r.userId,
      username: r.userId ? (users.get(r.userId) ?? null) : null,
      client_id: r.clientId,
      client_name: r.clientId ? (clients.get(r.clientId) ?? null) : null,
      ip: r.ip,
      count: r.count,
      details: r.details,
    }));
    if (values.json) printJson(out);
    else {
      const who = (name: string | null, id: string | null) => (id ? (name ? `${name} (${id})` : id) : null);
      printTable(
        ['TIME', 'EVENT', 'USER', 'CLIENT', 'IP', 'COUNT', 'DETAILS'],
        out.map((r) => [
          r.time,
          r.event,
          who(r.username, r.user_id),
          who(r.client_name, r.client_id),
          r.ip,
          r.count,
          Object.keys(r.details ?? {}).length ? JSON.stringify(r.details) : null,
        ]),
      );
    }
    return 0;
  } finally {
    await close();
  }
}
