// The signed-in person's own grants, for /account: the apps that hold access (remembered consent, live
// refresh-token families) and revoking them — a whole app, or one session. Only one's own: a foreign or
// unknown id changes nothing.
import { nowS } from '../clock.ts';
import type { FamilyRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { DEVICE_GRANT } from './grant-types.ts';
import { revokeFamily } from './tokens.ts';

export interface ConnectedApp {
  clientId: string;
  clientName: string;
  scope: string;
  consented: boolean;
  sessions: { familyId: string; scope: string; since: number; until: number; device: boolean }[];
}

/** Every app with remembered consent or a live refresh family, by client; each family as a session. */
export async function connectedApps(deps: Pick<Deps, 'store' | 'clock'>, userId: string): Promise<ConnectedApp[]> {
  const { store } = deps;
  const apps = new Map<string, ConnectedApp>();
  const clients = new Map<string, Awaited<ReturnType<typeof store.clients.get>>>();
  const client = async (id: string) => {
    if (!clients.has(id)) clients.set(id, await store.clients.get(id));
    return clients.get(id) ?? null;
  };
  const app = async (clientId: string) => {
    let a = apps.get(clientId);
    if (!a) {
      a = { clientId, clientName: (await client(clientId))?.name ?? clientId, scope: '', consented: false, sessions: [] };
      apps.set(clientId, a);
    }
    return a;
  };
  for (const c of await store.consents.listForUser(userId)) {
    const a = await app(c.clientId);
    a.consented = true;
    a.scope = c.scope;
  }
  for (const f of await store.refresh.listLiveFamiliesForUser(userId, nowS(deps.clock))) {
    const a = await app(f.clientId);
    const c = await client(f.clientId);
    a.sessions.push({
      familyId: f.id,
      scope: f.scope,
      since: f.createdAt,
      until: f.expiresAt,
      device: !c?.redirectUris.length && !!c?.grantTypes.includes(DEVICE_GRANT),
    });
  }
  return [...apps.values()];
}

/** End one of the user's sessions (a refresh family); the family when it was theirs, else null. */
export async function revokeOwnSession(deps: Pick<Deps, 'audit' | 'clock' | 'store'>, userId: string, familyId: string, ip: string): Promise<FamilyRow | null> {
  const fam = await deps.store.refresh.getFamily(familyId);
  if (!fam || fam.userId !== userId) return null;
  await revokeFamily(deps, fam.id, nowS(deps.clock));
  deps.audit.record('refresh.family_revoked', { userId, clientId: fam.clientId, ip, details: { reason: 'account', family_id: fam.id } });
  return fam;
}

/** Take an app's access away: its remembered consent and every live family of this user with it. */
export async function revokeOwnApp(deps: Pick<Deps, 'audit' | 'clock' | 'store'>, userId: string, clientId: string, ip: string): Promise<void> {
  const now = nowS(deps.clock);
  await deps.store.consents.remove(userId, clientId);
  for (const fam of await deps.store.refresh.listLiveFamiliesForUser(userId, now)) {
    if (fam.clientId === clientId) await revokeFamily(deps, fam.id, now);
  }
  deps.audit.record('consent.revoked', { userId, clientId, ip });
}
