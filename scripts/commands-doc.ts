// The command lists of README.md and docs/commands.md, generated from src/cli/commands.ts (the table that
// `auth --help` and every `auth COMMAND --help` print from) so the three never drift.
//   bun scripts/commands-doc.ts          print both blocks
//   bun scripts/commands-doc.ts --write  replace them (between the commands:start/end markers)
import { COMMANDS, commandHelp, commandList } from '../src/cli/commands.ts';

/** README: every command with every flag, as `auth --help` lists them. */
export function readmeBlock(): string {
  return `\`\`\`\n${commandList().trimEnd()}\n\`\`\``;
}

/** docs/commands.md: the list, then each command's own help. */
export function docsBlock(): string {
  const parts = [readmeBlock(), ''];
  for (const name of Object.keys(COMMANDS)) parts.push(`### auth ${name}`, '', `\`\`\`\n${commandHelp(name).trimEnd()}\n\`\`\``, '');
  return parts.join('\n').trimEnd();
}

const MARKERS = /<!-- commands:start -->[\s\S]*<!-- commands:end -->/;
export const replaceBlock = (text: string, block: string) => text.replace(MARKERS, `<!-- commands:start -->\n${block}\n<!-- commands:end -->`);

if (import.meta.main) {
  if (process.argv.includes('--write')) {
    for (const [file, block] of [
      ['../README.md', readmeBlock()],
      ['../docs/commands.md', docsBlock()],
    ] as const) {
      const path = new URL(file, import.meta.url);
      const text = await Bun.file(path).text();
      if (!MARKERS.test(text)) throw new Error(`${file}: no <!-- commands:start --> … <!-- commands:end --> markers`);
      await Bun.write(path, replaceBlock(text, block));
    }
  } else console.log(`${readmeBlock()}\n\n${docsBlock()}`);
}
