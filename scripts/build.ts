// bun run build → dist/auth: one self-contained executable (templates, static files and migrations are
// embedded through imports). Version, commit and build time are injected with `define`, and so is a logo
// when BRAND_LOGO_FILE names one (the server shows it unless BRAND_LOGO_URL is set).
import { $ } from 'bun';
import pkg from '../package.json' with { type: 'json' };

const commit = (await $`git rev-parse --short=12 HEAD`.nothrow().quiet().text()).trim() || 'unknown';
const dirty = (await $`git status --porcelain`.nothrow().quiet().text()).trim() ? '-dirty' : '';
const buildTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const outfile = process.env.AUTH_OUTFILE ?? 'dist/auth';
const t0 = performance.now();

let logo = '';
if (process.env.BRAND_LOGO_FILE) {
  const { readLogoFile } = await import('../src/http/brand.ts');
  const { type, bytes } = readLogoFile(process.env.BRAND_LOGO_FILE);
  logo = `${type};base64,${Buffer.from(bytes).toString('base64')}`;
}

const result = await Bun.build({
  entrypoints: ['src/main.ts'],
  compile: {
    outfile,
    autoloadDotenv: false, // the project reads .env itself (src/config.ts)
    autoloadBunfig: false,
  },
  minify: { whitespace: true, syntax: true, identifiers: false },
  sourcemap: 'linked',
  bytecode: true,
  format: 'esm',
  define: {
    AUTH_VERSION: JSON.stringify(pkg.version),
    AUTH_COMMIT: JSON.stringify(commit + dirty),
    AUTH_BUILD_TIME: JSON.stringify(buildTime),
    AUTH_BRAND_LOGO: JSON.stringify(logo),
  },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const size = Bun.file(outfile).size;
console.log(
  `built ${outfile} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${Math.round(performance.now() - t0)} ms — auth ${pkg.version} (${commit}${dirty}, ${buildTime})`,
);
