// Strict argument parsing from the command table: an unknown flag, a missing value or a missing argument
// is a usage error (exit 2) with one line saying what is wrong and, for a typo, what was meant.
import { parseArgs } from 'node:util';
import { closest } from '../closest.ts';
import { type CommandName, COMMANDS, type CommandSpec } from './commands.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

type Flags<N extends CommandName> = (typeof COMMANDS)[N]['flags'];
export type Values<N extends CommandName> = {
  [K in keyof Flags<N>]?: Flags<N>[K] extends { type: 'boolean' } ? boolean : Flags<N>[K] extends { multiple: true } ? string[] : string;
};

export function parse<N extends CommandName>(args: string[], name: N): { values: Values<N>; positionals: string[] } {
  const spec: CommandSpec = COMMANDS[name];
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string; default?: string }> = {};
  for (const [flag, f] of Object.entries(spec.flags)) {
    options[flag] = {
      type: f.type,
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.short ? { short: f.short } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
    };
  }
  const wanted = (spec.args ?? '').split(' ').filter(Boolean);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: wanted.length > 0, strict: true });
  } catch (e) {
    throw new UsageError(explain(e as Error & { code?: string }, spec));
  }
  if (parsed.positionals.length > wanted.length) throw new UsageError(`unexpected argument: ${parsed.positionals[wanted.length]}`);
  const missing = wanted.find((w, i) => !w.startsWith('[') && parsed.positionals[i] === undefined);
  if (missing) throw new UsageError(`missing ${missing}`);
  for (const [flag, f] of Object.entries(spec.flags)) {
    if (f.required && parsed.values[flag] === undefined) throw new UsageError(`missing --${flag} ${f.value ?? ''}`.trimEnd());
  }
  return { values: parsed.values as Values<N>, positionals: parsed.positionals };
}

/** node:util's messages, made short and pointed. */
function explain(e: Error & { code?: string }, spec: CommandSpec): string {
  const flag = /'(-[^' ]*)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const bare = flag.replace(/^-+/, '').split('=')[0]!;
    const hint = closest(bare, Object.keys(spec.flags));
    return `unknown flag ${flag}${hint ? `; did you mean --${hint}?` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    const f = spec.flags[flag.replace(/^-+/, '')];
    return f?.type === 'boolean' ? `${flag} takes no value` : `${flag} needs a value${f?.value ? ` (${f.value})` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument: ${/'([^']*)'/.exec(e.message)?.[1] ?? ''}`;
  return e.message;
}

/** True when `--help` or `-h` comes before any `--`. */
export function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}
