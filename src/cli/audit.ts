// `auth audit [--since 24h|2026-11-01] [--user NAME] [--limit 1000] [--json]` — the audit log, newest first.
import { nowS } from '../clock.ts';
import { parseDuration } from '../config.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { commandDeps, printJson } from './env.ts';

export async function auditCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    since: { type: 'string', default: '24h' },
    user: { type: 'string' },
    limit: { type: 'string', default: '1000' },
    json: { type: 'boolean' },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit is 1 to 100000');
  const { deps, close } = await commandDeps();
  try {
    const ago = parseDuration(values.since!);
    const date = ago === null ? Date.parse(values.since!) : NaN;
    if (ago === null && Number.isNaN(date)) throw new UsageError('--since is a duration (24h, 7d) or a date (2026-11-01)');
    const since = ago !== null ? nowS(deps.clock) - ago : Math.floor(date / 1000);
    let userId: string | undefined;
    if (values.user) {
      const u = await deps.store.users.getByUsername(values.user);
      if (!u) throw new CommandError(`no user ${values.user}`);
      userId = u.id;
    }
    const rows = await deps.store.audit.list({ since, userId, limit });
    const out = rows.map((r) => ({
      time: new Date(r.time * 1000).toISOString(),
      event: r.event,
      user_id: r.userId,
      client_id: r.clientId,
      ip: r.ip,
      count: r.count,
      details: r.details,
    }));
    if (values.json) printJson(out);
    else
      for (const r of out)
        process.stdout.write(
          `${r.time}\t${r.event}\t${r.user_id ?? '-'}\t${r.client_id ?? '-'}\t${r.ip ?? '-'}${r.count > 1 ? `\t×${r.count}` : ''}\t${JSON.stringify(r.details)}\n`,
        );
    return 0;
  } finally {
    await close();
  }
}
