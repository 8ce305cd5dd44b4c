// Files embedded in the executable: stylesheet and page scripts (`type: 'file'` gives a path that works
// in `bun run` and in the compiled binary). Templates are TSX modules and SQL migrations text imports.
import styleCss from '../static/style.css' with { type: 'file' };
import tempTokenJs from '../static/temp-token.js' with { type: 'file' };
import adminJs from '../static/admin.js' with { type: 'file' };

export const STATIC_FILES: Record<string, { path: string; type: string }> = {
  'style.css': { path: styleCss, type: 'text/css; charset=utf-8' },
  'temp-token.js': { path: tempTokenJs, type: 'text/javascript; charset=utf-8' },
  'admin.js': { path: adminJs, type: 'text/javascript; charset=utf-8' },
};
