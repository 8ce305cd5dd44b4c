// GET /static/:file — embedded stylesheet and scripts, cacheable for a day.
import { Elysia, t } from 'elysia';
import { segment } from '../input.ts';
import { STATIC_FILES } from '../../assets.ts';
import { NotFound } from '../../domain/errors.ts';

export function staticRoutes() {
  return new Elysia({ name: 'static' }).get(
    '/static/:file',
    ({ params }) => {
      const f = Object.hasOwn(STATIC_FILES, params.file) ? STATIC_FILES[params.file] : undefined;
      if (!f) throw new NotFound('no such file');
      return new Response(Bun.file(f.path), {
        headers: { 'Content-Type': f.type, 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' },
      });
    },
    { params: t.Object({ file: segment(64) }) },
  );
}
