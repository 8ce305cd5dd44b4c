// `auth server`: serve until SIGTERM/SIGINT; the first signal drains (up to SHUTDOWN_TIMEOUT), a second exits at once.
import { createLogger } from '../log.ts';
import { startServer } from '../server.ts';
import { parse } from './args.ts';
import { loadCommandConfig } from './env.ts';

export async function serverCommand(args: string[]): Promise<number> {
  parse(args, 'server');
  const { config, warnings } = await loadCommandConfig();
  const log = createBufferedLogger(config.logLevel, config.logFormat);
  for (const w of warnings) log.logger.warn(`unknown setting: ${w}`);
  const running = await startServer(config, log.logger);
  let signals = 0;
  return await new Promise<number>((resolve) => {
    const onSignal = (sig: string) => {
      signals++;
      if (signals > 1) {
        log.logger.warn('second signal: exiting now', { signal: sig });
        log.flush();
        process.exit(1);
      }
      log.logger.info('shutting down', { signal: sig, timeout_s: config.shutdownTimeout });
      running.stop().then(
        () => {
          log.flush();
          resolve(0);
        },
        (e) => {
          log.logger.error('shutdown failed', { error: String(e) });
          log.flush();
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  });
}

/** Request lines are buffered and written in batches so logging does not cost a syscall per request. */
function createBufferedLogger(level: Parameters<typeof createLogger>[0], format: Parameters<typeof createLogger>[1]) {
  let buf: string[] = [];
  let size = 0;
  const flush = () => {
    if (!buf.length) return;
    const out = buf.join('');
    buf = [];
    size = 0;
    process.stderr.write(out);
  };
  setInterval(flush, 100).unref();
  const logger = createLogger(level, format, (line) => {
    buf.push(line);
    size += line.length;
    if (size > 64 * 1024) flush();
  });
  process.on('exit', flush);
  return { logger, flush };
}
