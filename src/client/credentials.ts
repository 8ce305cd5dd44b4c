// Credentials of `auth login`, per name, in $XDG_CONFIG_HOME/auth/credentials.json: created 0600 in a
// 0700 directory, written atomically (temp file + rename), optionally encrypted with AES-256-GCM when
// AUTH_CREDENTIALS_KEY is set (key derived with scrypt and a per-file salt). A lock file serialises
// refreshes across processes so rotation happens once.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DpopKey } from './dpop.ts';
import type { AuthServerMetadata } from './discovery.ts';
import type { Identity } from './identity.ts';

export interface StoredCredential {
  target: string;
  issuer: string;
  client_id: string;
  resource?: string;
  scope: string;
  access_token: string;
  refresh_token?: string;
  /** Unix seconds. */
  expires_at: number;
  token_type: string;
  obtained_at: number;
  /** Who signed in (from the ID token and userinfo), when the server speaks OpenID Connect. */
  identity?: Identity;
  /** The DPoP key the tokens are bound to (RFC 9449), private half included; absent for bearer tokens. */
  dpop?: DpopKey;
}

export interface CredentialsFile {
  version: 1;
  /** Per issuer: the discovered metadata and the client id used there. */
  servers: Record<string, { metadata: AuthServerMetadata; client_id?: string; registered?: boolean }>;
  credentials: Record<string, StoredCredential>;
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

const empty = (): CredentialsFile => ({ version: 1, servers: {}, credentials: {} });

export class CredentialStore {
  readonly dir: string;
  readonly file: string;
  constructor(
    configHome: string,
    private readonly key: string | undefined,
  ) {
    this.dir = join(configHome, 'auth');
    this.file = join(this.dir, 'credentials.json');
  }

  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
  }

  read(): CredentialsFile {
    if (!existsSync(this.file)) return empty();
    const text = readFileSync(this.file, 'utf8');
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CredentialsError(`${this.file} is not valid JSON`);
    }
    if (parsed.encrypted === 'aes-256-gcm') {
      if (!this.key) throw new CredentialsError(`${this.file} is encrypted: set AUTH_CREDENTIALS_KEY`);
      try {
        const salt = Buffer.from(parsed.salt as string, 'base64');
        const key = scryptSync(this.key, salt, 32);
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(parsed.iv as string, 'base64'));
        d.setAuthTag(Buffer.from(parsed.tag as string, 'base64'));
        const plain = Buffer.concat([d.update(Buffer.from(parsed.data as string, 'base64')), d.final()]).toString('utf8');
        return JSON.parse(plain) as CredentialsFile;
      } catch {
        throw new CredentialsError(`cannot decrypt ${this.file}: wrong AUTH_CREDENTIALS_KEY?`);
      }
    }
    return { ...empty(), ...(parsed as Partial<CredentialsFile>) } as CredentialsFile;
  }

  write(data: CredentialsFile): void {
    this.ensureDir();
    let text = JSON.stringify(data, null, 2);
    if (this.key) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', scryptSync(this.key, salt, 32), iv);
      const enc = Buffer.concat([c.update(text, 'utf8'), c.final()]);
      text = JSON.stringify({
        encrypted: 'aes-256-gcm',
        salt: salt.toString('base64'),
        iv: iv.toString('base64'),
        tag: c.getAuthTag().toString('base64'),
        data: enc.toString('base64'),
      });
    }
    // Atomic: a reader sees the old file or the new one, never half of one.
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  update(fn: (data: CredentialsFile) => void): CredentialsFile {
    const data = this.read();
    fn(data);
    this.write(data);
    return data;
  }

  /**
   * Run `fn` holding an exclusive lock (O_EXCL lock file). A lock older than `staleMs` is taken over
   * (its holder died). Waits at most `waitMs`.
   */
  async withLock<T>(fn: () => Promise<T>, waitMs = 60_000, staleMs = 30_000): Promise<T> {
    this.ensureDir();
    const lock = `${this.file}.lock`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx', 0o600));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        try {
          if (Date.now() - statSync(lock).mtimeMs > staleMs) unlinkSync(lock);
        } catch {
          // it went away: try again
        }
        if (Date.now() > deadline) throw new CredentialsError(`timed out waiting for ${lock}`);
        await Bun.sleep(20 + Math.random() * 30);
      }
    }
    try {
      return await fn();
    } finally {
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    }
  }
}
