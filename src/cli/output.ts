// Output for people and for scripts: aligned columns under a header on a terminal, tab-separated rows
// without a header when piped; relative times; yes/no questions on a terminal.

/** Rows as aligned columns with a header (terminal) or as tab-separated values (pipe). */
export function printTable(header: string[], rows: (string | number | null | undefined)[][], tty = !!process.stdout.isTTY): void {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c).replace(/[\t\n]/g, ' '))));
  if (!tty) {
    process.stdout.write(cells.map((r) => `${r.join('\t')}\n`).join(''));
    return;
  }
  if (!cells.length) {
    process.stdout.write('(none)\n');
    return;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) =>
    `${r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd()}\n`;
  process.stdout.write(line(header) + cells.map(line).join(''));
}

/** "in 6 days", "in 5 minutes", "3 hours ago". */
export function relativeTime(atS: number, nowS = Math.floor(Date.now() / 1000)): string {
  const d = atS - nowS;
  const a = Math.abs(d);
  const [n, unit] =
    a < 90 ? [a, 'second'] : a < 90 * 60 ? [Math.round(a / 60), 'minute'] : a < 36 * 3600 ? [Math.round(a / 3600), 'hour'] : [Math.round(a / 86400), 'day'];
  const text = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/** ISO time to the second, without milliseconds: 2026-12-05T23:12:13Z. */
export function isoSeconds(atS: number): string {
  return new Date(atS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Ask on a terminal; true without asking when stdin is not one (scripts) or `yes` is given. */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes || !process.stdin.isTTY) return true;
  process.stderr.write(`${question} [y/N] `);
  const answer = await readLine();
  return /^y(es)?$/i.test(answer.trim());
}

export async function readLine(): Promise<string> {
  const reader = Bun.stdin.stream().getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!text.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.split(/\r?\n/)[0] ?? '';
}
