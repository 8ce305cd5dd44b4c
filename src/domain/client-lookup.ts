// Finding a client by id: the cache, the store, or — for an https client_id with CIMD on — its metadata document.
import type { ClientRow } from '../store/store.ts';
import { isClientIdUrl } from './client-documents.ts';
import type { Deps } from './deps.ts';

/**
 * The client named by `id`: a registered one from the store, or — when CIMD is enabled and the id is an
 * https URL — the client described by its metadata document (throws ClientDocumentError).
 */
export async function loadClient(deps: Pick<Deps, 'clientCache' | 'clientDocuments' | 'store'>, id: string, ip?: string): Promise<ClientRow | null> {
  if (id.length > 2048) return null;
  if (deps.clientDocuments && isClientIdUrl(id)) return deps.clientDocuments.resolve(id, ip);
  if (id.length > 256) return null;
  const cached = deps.clientCache.get(id);
  if (cached) return cached;
  const row = await deps.store.clients.get(id);
  if (row) deps.clientCache.set(row);
  return row;
}
