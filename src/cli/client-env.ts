// What the client commands (login, token, logout, status) read from the environment.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialStore, type CredentialsFile, type StoredCredential } from '../client/credentials.ts';
import { CommandError } from './args.ts';

export function clientStore(): CredentialStore {
  const home = process.env.XDG_CONFIG_HOME || join(process.env.HOME || homedir(), '.config');
  return new CredentialStore(home, process.env.AUTH_CREDENTIALS_KEY || undefined);
}

/** True when no graphical browser can be opened here (SSH session or no display on Linux). */
export function noDisplay(): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return !!process.env.SSH_CONNECTION;
  return !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
}

/** The credential named `name`, or the only one there is. */
export function pickCredential(data: CredentialsFile, name: string | undefined): [string, StoredCredential] {
  const names = Object.keys(data.credentials);
  if (name) {
    const c = data.credentials[name];
    if (!c) throw new CommandError(`no credentials named ${name}${names.length ? ` (known: ${names.join(', ')})` : ''}; run: auth login TARGET --name ${name}`);
    return [name, c];
  }
  if (names.length === 1) return [names[0]!, data.credentials[names[0]!]!];
  if (names.length === 0) throw new CommandError('not logged in anywhere; run: auth login TARGET');
  throw new CommandError(`several credentials (${names.join(', ')}): name one`);
}
