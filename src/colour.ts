// CSS colours as configuration gives them (BRAND_ACCENT), and WCAG 2.2 contrast: relative luminance
// (§ "relative luminance") and contrast ratio (Success Criterion 1.4.3 needs 4.5:1 for body text).

export type Rgb = readonly [number, number, number];

/** `#rgb`, `#rrggbb`, `rgb(r g b)` or `rgb(r, g, b)` (0–255); anything else is null. */
export function parseColour(text: string): Rgb | null {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(s);
  if (m) return [parseInt(m[1]! + m[1], 16), parseInt(m[2]! + m[2], 16), parseInt(m[3]! + m[3], 16)];
  m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(s);
  if (m) return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
  m = /^rgb\(\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*[,\s]\s*(\d{1,3})\s*\)$/.exec(s);
  if (m) {
    const rgb = [Number(m[1]), Number(m[2]), Number(m[3])] as const;
    return rgb.every((v) => v <= 255) ? rgb : null;
  }
  return null;
}

export function hexColour(rgb: Rgb): string {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance of an sRGB colour. */
export function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

/** Text on `background`: black or white, whichever contrasts more — at least 4.58:1 for any colour. */
export function textOn(background: Rgb): Rgb {
  return contrast(background, BLACK) >= contrast(background, WHITE) ? BLACK : WHITE;
}
