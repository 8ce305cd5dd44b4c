// Loopback, the one exception to "https only" (RFC 8252 §7.3, §8.3): the host names that stay on this
// machine, as a URL's `hostname` spells them.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** https, or http to a loopback host. */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** An http URI on a loopback host (a native app's redirect, RFC 8252 §7.3). */
export function isLoopbackRedirect(uri: string): boolean {
  const u = URL.parse(uri);
  return u !== null && u.protocol === 'http:' && isLoopbackHost(u.hostname);
}
