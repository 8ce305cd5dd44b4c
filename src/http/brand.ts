// BRAND_* configuration made ready for the pages, once per server: the Brand the templates read, the accent
// stylesheet (/static/brand.css), the logo file (/static/brand-logo) and the CSP img-src it needs. Kept per
// Config object, not global: one process may run several servers (tests).
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Brand } from '../../templates/layout.tsx';
import { hexColour, parseColour, textOn } from '../colour.ts';
import { ConfigError, type Config } from '../config.ts';

export interface BrandKit {
  brand: Brand;
  /** /static/brand.css, when BRAND_ACCENT is set. */
  css: string | null;
  logo: { bytes: Uint8Array; type: string } | null;
  /** An external logo's origin, allowed in the pages' img-src. */
  imgOrigin: string | null;
}

const LOGO_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};
const LOGO_MAX = 512 * 1024;

declare const AUTH_BRAND_LOGO: string | undefined;
/** A logo embedded by `BRAND_LOGO_FILE=… bun run build` ("type;base64,data"), else none. */
function embeddedLogo(): { bytes: Uint8Array; type: string } | null {
  const value = typeof AUTH_BRAND_LOGO === 'string' ? AUTH_BRAND_LOGO : '';
  const m = /^([\w.+/-]+);base64,(.+)$/.exec(value);
  return m ? { type: m[1]!, bytes: Buffer.from(m[2]!, 'base64') } : null;
}

/** A logo file read at start: known image type, at most 512 KiB; a bad one stops the start (ConfigError). */
export function readLogoFile(path: string): { bytes: Uint8Array; type: string } {
  const type = LOGO_TYPES[extname(path).toLowerCase()];
  if (!type) throw new ConfigError(`invalid BRAND_LOGO_URL: ${JSON.stringify(path)} is neither an https URL nor a .png, .jpg, .gif, .webp or .svg file`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ConfigError(`invalid BRAND_LOGO_URL: cannot read ${JSON.stringify(path)}`);
  }
  if (size > LOGO_MAX) throw new ConfigError(`invalid BRAND_LOGO_URL: ${JSON.stringify(path)} is larger than 512 KiB`);
  return { type, bytes: readFileSync(path) };
}

function version(bytes: Uint8Array | string): string {
  return Bun.hash(bytes).toString(36).slice(0, 8);
}

function build(config: Config): BrandKit {
  const brand: Brand = { name: config.brandName };
  let css: string | null = null;
  let logo: BrandKit['logo'] = null;
  let imgOrigin: string | null = null;
  if (config.brandSupportUrl) brand.supportUrl = config.brandSupportUrl;
  if (config.brandAccent) {
    const accent = parseColour(config.brandAccent)!;
    // Same colours in both schemes: the text colour is chosen against the accent itself.
    css = `:root {\n  --button: ${hexColour(accent)};\n  --button-fg: ${hexColour(textOn(accent))};\n}\n`;
    brand.stylesheet = `/static/brand.css?v=${version(css)}`;
  }
  const source = config.brandLogoUrl;
  if (source && /^https?:\/\//i.test(source)) {
    const u = URL.parse(source);
    if (!u || (u.protocol !== 'https:' && !u.hostname.match(/^(localhost|127\.0\.0\.1|\[::1\])$/)))
      throw new ConfigError('invalid BRAND_LOGO_URL: an image URL must be https (http only on loopback)');
    brand.logo = u.href;
    imgOrigin = u.origin;
  } else {
    logo = source ? readLogoFile(source) : embeddedLogo();
    if (logo) brand.logo = `/static/brand-logo?v=${version(logo.bytes)}`;
  }
  return { brand, css, logo, imgOrigin };
}

const kits = new WeakMap<Config, BrandKit>();

/** The brand of the server configured by `config` (built on first use; a bad logo file throws ConfigError). */
export function brandKit(config: Config): BrandKit {
  let kit = kits.get(config);
  if (!kit) {
    kit = build(config);
    kits.set(config, kit);
  }
  return kit;
}
