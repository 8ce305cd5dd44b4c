// A User-Agent header in a few words for /account ("Firefox on Linux", "auth-cli 1.4"): enough for a
// person to recognise their own devices, never parsed for decisions.

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Headless)?Chrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

export function describeUserAgent(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  // A program: its first product token ("curl/8.5.0", "auth-cli/1.4.0 (linux)") as "name version".
  const m = /^([A-Za-z][\w.-]{0,40})(?:\/([\w.-]{1,20}))?/.exec(ua.trim());
  if (!m) return 'Unknown device';
  const name = m[1] === 'Mozilla' ? 'Browser' : m[1]!;
  return [name, m[1] === 'Mozilla' ? '' : m[2], system ? `on ${system}` : ''].filter(Boolean).join(' ');
}
