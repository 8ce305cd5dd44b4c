// GET /static/:file — embedded stylesheet and scripts, cacheable for a day; the brand's accent stylesheet
// and logo (BRAND_ACCENT, BRAND_LOGO_URL), linked with a content version so a change shows at once.
import { Elysia, t } from 'elysia';
import { segment } from '../input.ts';
import { STATIC_FILES } from '../../assets.ts';
import { NotFound } from '../../domain/errors.ts';
import type { BrandKit } from '../brand.ts';

const CACHED = { 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' };

export function staticRoutes(kit: BrandKit) {
  return new Elysia({ name: 'static' }).get(
    '/static/:file',
    ({ params }) => {
      if (params.file === 'brand.css' && kit.css) return new Response(kit.css, { headers: { 'Content-Type': 'text/css; charset=utf-8', ...CACHED } });
      if (params.file === 'brand-logo' && kit.logo) {
        // An SVG opened on its own runs no script and loads nothing (it is shown through <img> on pages).
        return new Response(kit.logo.bytes as Uint8Array<ArrayBuffer>, {
          headers: { 'Content-Type': kit.logo.type, 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox", ...CACHED },
        });
      }
      const f = Object.hasOwn(STATIC_FILES, params.file) ? STATIC_FILES[params.file] : undefined;
      if (!f) throw new NotFound('no such file');
      return new Response(Bun.file(f.path), { headers: { 'Content-Type': f.type, ...CACHED } });
    },
    { params: t.Object({ file: segment(64) }) },
  );
}
