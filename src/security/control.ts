// C0 control characters and DEL: never part of an OAuth value, a local path or a name this server accepts
// (tab and newline included), so finding one means the input is refused.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
