// HTML responses with the page security headers (CSP without inline script, frame-ancestors 'none',
// nosniff, no-referrer, no-store; HSTS when the issuer is https).
import { pageHeaders } from './headers.ts';
import { ErrorPage } from '../../templates/error.tsx';
import type { BrandKit } from './brand.ts';

export function page(kit: BrandKit, html: string, https: boolean, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(html, { status, headers: { ...pageHeaders(https, kit.imgOrigin), ...extra } });
}

export function errorPage(kit: BrandKit, https: boolean, status: number, error: string, description: string, requestId?: string): Response {
  const title = status === 404 ? 'Page not found' : status === 429 ? 'Too many attempts' : status >= 500 ? 'Something went wrong' : 'Request refused';
  return page(kit, ErrorPage({ brand: kit.brand, title, error, description, requestId, status }), https, status);
}
