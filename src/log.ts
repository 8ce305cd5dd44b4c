// Structured logging: one line per event, JSON or human-readable. Callers pass fields, never secrets;
// `redact` drops any field whose name looks like one, as a second line of defence.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /pass(word)?|secret|token|code$|^code|cookie|authorization|verifier/i;

export type Fields = Record<string, unknown>;

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export interface RequestLine {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  requestId: string;
  ip: string;
}

export interface Logger {
  /** The one line per request, formatted without a generic object walk (it is on every request). */
  request(r: RequestLine): void;
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

function redact(fields: Fields | undefined): Fields | undefined {
  if (!fields) return fields;
  let out: Fields | undefined;
  for (const k of Object.keys(fields)) {
    if (SECRET_FIELD.test(k) && k !== 'status_code') {
      out ??= { ...fields };
      out[k] = '[redacted]';
    }
  }
  return out ?? fields;
}

export function createLogger(level: Level, format: 'json' | 'pretty', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const min = ORDER[level];
  const emit = (lvl: Level, msg: string, fields?: Fields) => {
    if (ORDER[lvl] < min) return;
    const f = redact(fields);
    const time = new Date().toISOString();
    if (format === 'json') {
      write(`${JSON.stringify({ time, level: lvl, msg, ...f })}\n`);
    } else {
      const kv = f
        ? Object.entries(f)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')
        : '';
      write(`${time} ${lvl.toUpperCase().padEnd(5)} ${msg}${kv ? ` ${kv}` : ''}\n`);
    }
  };
  // Printable ASCII without `"` and `\` needs no escaping (request ids, IPs, our paths); the rest goes through JSON.
  const quote = (v: string) => (PLAIN.test(v) ? `"${v}"` : JSON.stringify(v));
  // One ISO timestamp per millisecond, not per line (hundreds of lines share a millisecond under load).
  let lastMs = 0;
  let lastIso = '';
  const isoNow = () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
  return {
    request(r) {
      if (ORDER.info < min) return;
      if (format !== 'json')
        return emit('info', 'request', { method: r.method, path: r.path, status: r.status, duration_ms: r.durationMs, request_id: r.requestId, ip: r.ip });
      write(
        `{"time":"${isoNow()}","level":"info","msg":"request","method":${quote(r.method)},"path":${quote(r.path)},"status":${r.status},"duration_ms":${r.durationMs},"request_id":${quote(r.requestId)},"ip":${quote(r.ip)}}\n`,
      );
    },
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { request() {}, debug() {}, info() {}, warn() {}, error() {} };
