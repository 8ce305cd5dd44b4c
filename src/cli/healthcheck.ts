// `auth healthcheck [--url U]`: GET /health, exit 0 on 200 else 1 (a scratch image has no curl or wget).
import { loadConfig, readEnvironment } from '../config.ts';
import { parse, UsageError } from './args.ts';

export async function healthcheckCommand(args: string[]): Promise<number> {
  const { values } = parse(args, 'healthcheck');
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0 && timeoutS <= 600)) throw new UsageError('--timeout is a number of seconds from 1 to 600');
  let url = values.url;
  if (!url) {
    const env = await readEnvironment(process.env, process.cwd());
    const config = loadConfig(env);
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/health`;
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutS * 1000) });
    process.stdout.write(`${res.status} ${await res.text()}\n`);
    return res.status === 200 ? 0 : 1;
  } catch (e) {
    process.stderr.write(`healthcheck: ${url}: ${(e as Error).message}\n`);
    return 1;
  }
}
