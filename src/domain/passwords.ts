// Human passwords: argon2id via Bun.password (never on the token path: ≈100 ms per hash).
// A real argon2id hash to verify against when the account does not exist, made on first need (not at
// start-up: one hash costs ~100 ms).
let dummy: Promise<string> | null = null;
const dummyHash = () => (dummy ??= Bun.password.hash('not a real password, only for constant work', { algorithm: 'argon2id' }));

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' });
}

/** Verify; when there is no stored hash, still spend the same work so timing does not reveal the account. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const ok = await Bun.password.verify(password, hash ?? (await dummyHash())).catch(() => false);
  return ok && hash !== null;
}

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}
