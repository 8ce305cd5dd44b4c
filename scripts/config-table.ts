// Prints the README's configuration table from src/config.ts (the one schema), so the two never drift:
//   bun scripts/config-table.ts
import { SETTINGS } from '../src/config.ts';

console.log('| variable | default | meaning |');
console.log('|---|---|---|');
for (const s of SETTINGS) {
  const name = [s.env, ...(s.aliases ?? [])].map((n) => `\`${n}\``).join(' (alias ') + (s.aliases?.length ? ')' : '');
  const def = s.default === undefined ? '—' : s.default === '' ? '(empty)' : `\`${s.default}\``;
  console.log(`| ${name} | ${def} | ${s.doc.replace(/\|/g, '\\|')} |`);
}
