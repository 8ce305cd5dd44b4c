// Build facts, injected by scripts/build.ts with `define`; development values otherwise.
import pkg from '../package.json' with { type: 'json' };

declare const AUTH_VERSION: string | undefined;
declare const AUTH_COMMIT: string | undefined;
declare const AUTH_BUILD_TIME: string | undefined;

export const VERSION: string = typeof AUTH_VERSION === 'string' ? AUTH_VERSION : `${pkg.version}-dev`;
export const COMMIT: string = typeof AUTH_COMMIT === 'string' ? AUTH_COMMIT : 'unknown';
export const BUILD_TIME: string = typeof AUTH_BUILD_TIME === 'string' ? AUTH_BUILD_TIME : 'unbuilt';

export function versionLine(): string {
  return `auth ${VERSION} (${COMMIT}, ${BUILD_TIME}, bun ${Bun.version})`;
}
