// Whether this instance can serve: the store answers (GET /health, `auth healthcheck`, load balancers).
import type { Store } from '../store/store.ts';
import { VERSION } from '../version.ts';

const started = performance.now();

export interface Health {
  status: 'ok' | 'unavailable';
  database: 'ok' | 'error';
  version: string;
  uptime_s: number;
}

export async function checkHealth(store: Pick<Store, 'ping'>): Promise<Health> {
  const database = await store.ping().then(
    () => 'ok' as const,
    () => 'error' as const,
  );
  return { status: database === 'ok' ? 'ok' : 'unavailable', database, version: VERSION, uptime_s: Math.floor((performance.now() - started) / 1000) };
}
