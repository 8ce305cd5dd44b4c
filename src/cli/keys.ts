// `auth keys list|rotate` — signing keys in the store, shared by every instance.
import { rotateSigningKey } from '../domain/keys.ts';
import { nowS } from '../clock.ts';
import { parse, UsageError } from './args.ts';
import { cliActor, commandDeps, printJson } from './env.ts';
import { isoSeconds, printTable } from './output.ts';

export async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'rotate') throw new UsageError(`unknown keys command: ${sub}`);
  const { values } = parse(rest, sub === 'list' ? 'keys list' : 'keys rotate');
  const { deps, close } = await commandDeps();
  try {
    if (sub === 'rotate') {
      // Both signing keys: the access-token key and the RS256 ID-token key (ID tokens live as long as access tokens).
      for (const alg of [deps.config.signingAlg, 'RS256'] as const) {
        const row = await rotateSigningKey(deps.store, deps.clock, alg, deps.config.accessTokenTtl);
        deps.audit.record('key.rotated', { details: { kid: row.kid, alg: row.alg, actor: cliActor() } });
        process.stdout.write(`new signing key ${row.kid} (${row.alg})\n`);
      }
      process.stdout.write('older keys stay published until their tokens expire; running servers pick the new ones up within 30 s\n');
      return 0;
    }
    const keys = await deps.store.keys.listPublished(nowS(deps.clock));
    const rows = keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.retiredAt === null ? 'signing' : 'published',
      created_at: isoSeconds(k.createdAt),
      published_until: k.expiresAt ? isoSeconds(k.expiresAt) : null,
    }));
    if ((values as { json?: boolean }).json) printJson(rows);
    else
      printTable(
        ['KID', 'ALG', 'STATUS', 'CREATED', 'PUBLISHED UNTIL'],
        rows.map((r) => [r.kid, r.alg, r.status, r.created_at, r.published_until]),
      );
    return 0;
  } finally {
    await close();
  }
}
