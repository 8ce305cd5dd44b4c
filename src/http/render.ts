// HTML responses with the page security headers (CSP without inline script, frame-ancestors 'none',
// nosniff, no-referrer, no-store; HSTS when the issuer is https).
import { pageHeaders } from './headers.ts';
import { ErrorPage } from '../../templates/error.tsx';

export function page(html: string, https: boolean, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(html, { status, headers: { ...pageHeaders(https), ...extra } });
}

export function errorPage(https: boolean, status: number, error: string, description: string, requestId?: string): Response {
  const title = status === 429 ? 'Too many attempts' : status >= 500 ? 'Something went wrong' : 'Request refused';
  return page(ErrorPage({ title, error, description, requestId }), https, status);
}
