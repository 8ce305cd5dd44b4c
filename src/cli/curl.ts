// `auth curl URL [CURL_ARGS…]` — run curl with a valid access token of the named (or only) credentials, and a
// fresh DPoP proof for exactly this method and URL when the token is DPoP-bound (RFC 9449 §7.1).
import { spawn } from 'node:child_process';
import { CredentialsError } from '../client/credentials.ts';
import { dpopProof } from '../client/dpop.ts';
import { CommandError, UsageError } from './args.ts';
import { clientStore } from './client-env.ts';
import { freshCredential } from './token.ts';

/** The method curl will use: -X/--request, else POST when a body is given, else GET. */
export function curlMethod(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '-X' || a === '--request') && args[i + 1]) return args[i + 1]!.toUpperCase();
    if (a.startsWith('--request=')) return a.slice('--request='.length).toUpperCase();
    if (/^-X./.test(a)) return a.slice(2).toUpperCase();
  }
  const body = ['-d', '--data', '--data-raw', '--data-binary', '--data-urlencode', '-F', '--form', '--json'];
  return args.some((a) => body.includes(a) || body.some((b) => b.startsWith('--') && a.startsWith(`${b}=`)))
    ? 'POST'
    : args.includes('-I') || args.includes('--head')
      ? 'HEAD'
      : 'GET';
}

export async function curlCommand(args: string[]): Promise<number> {
  let rest = args;
  let name: string | undefined;
  if (rest[0] === '--name') {
    name = rest[1];
    if (!name) throw new UsageError('--name needs a value (NAME)');
    rest = rest.slice(2);
  }
  const [url, ...curlArgs] = rest;
  if (!url) throw new UsageError('missing URL');
  if (!URL.canParse(url)) throw new UsageError(`not an absolute URL: ${url}`);
  let headers: string[];
  try {
    const [, cred] = await freshCredential(clientStore(), name);
    headers = cred.dpop
      ? ['-H', `Authorization: DPoP ${cred.access_token}`, '-H', `DPoP: ${await dpopProof(cred.dpop, curlMethod(curlArgs), url, cred.access_token)}`]
      : ['-H', `Authorization: Bearer ${cred.access_token}`];
  } catch (e) {
    if (e instanceof CredentialsError) throw new CommandError(e.message);
    throw e;
  }
  return new Promise<number>((resolve, reject) => {
    const child = spawn('curl', [...headers, ...curlArgs, url], { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => reject(new CommandError(e.code === 'ENOENT' ? 'curl is not installed' : `curl: ${e.message}`)));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
