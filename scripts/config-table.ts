// The configuration table of docs/configuration.md, generated from src/config.ts (the one schema) so the two never drift.
//   bun scripts/config-table.ts          print it
//   bun scripts/config-table.ts --write  replace it in docs/configuration.md (between the config:start/end markers)
import { SETTINGS } from '../src/config.ts';

export function configTable(): string {
  const lines = ['| variable | default | meaning |', '|---|---|---|'];
  for (const s of SETTINGS) {
    const name = `\`${s.env}\`${s.aliases?.length ? ` (alias ${s.aliases.map((a) => `\`${a}\``).join(', ')})` : ''}`;
    const def = s.default === undefined ? '—' : s.default === '' ? '(empty)' : `\`${s.default}\``;
    lines.push(`| ${name} | ${def} | ${s.doc.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}

if (import.meta.main) {
  if (process.argv.includes('--write')) {
    const path = new URL('../docs/configuration.md', import.meta.url);
    const readme = await Bun.file(path).text();
    const next = readme.replace(/<!-- config:start -->[\s\S]*<!-- config:end -->/, `<!-- config:start -->\n${configTable()}\n<!-- config:end -->`);
    await Bun.write(path, next);
  } else console.log(configTable());
}
