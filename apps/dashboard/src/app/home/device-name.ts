/**
 * A user agent as people name their device: "Firefox 128 on Windows", "Safari on iPhone",
 * "curl 8.5". Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
 */
export function deviceName(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const ua = userAgent;
  const version = (re: RegExp) => re.exec(ua)?.[1]?.split('.')[0];
  const tool = /^(curl|Wget|python-requests|node-fetch|undici|PostmanRuntime|HTTPie|Go-http-client|okhttp)\/([\d.]+)/i.exec(ua);
  if (tool) return `${tool[1]} ${tool[2]!.split('.').slice(0, 2).join('.')}`;
  let browser = 'Unknown browser';
  if (/Edg(e|A|iOS)?\//.test(ua)) browser = `Edge ${version(/Edg(?:e|A|iOS)?\/([\d.]+)/) ?? ''}`.trim();
  else if (/OPR\/|Opera/.test(ua)) browser = `Opera ${version(/OPR\/([\d.]+)/) ?? ''}`.trim();
  else if (/Firefox\/|FxiOS\//.test(ua)) browser = `Firefox ${version(/(?:Firefox|FxiOS)\/([\d.]+)/) ?? ''}`.trim();
  else if (/HeadlessChrome\//.test(ua)) browser = `Headless Chrome ${version(/HeadlessChrome\/([\d.]+)/) ?? ''}`.trim();
  else if (/Chrome\/|CriOS\//.test(ua))
    browser = `${/Chromium/.test(ua) ? 'Chromium' : 'Chrome'} ${version(/(?:Chrome|CriOS)\/([\d.]+)/) ?? ''}`.trim();
  else if (/Safari\//.test(ua)) browser = `Safari ${version(/Version\/([\d.]+)/) ?? ''}`.trim();
  let os = '';
  if (/iPhone/.test(ua)) os = 'iPhone';
  else if (/iPad/.test(ua)) os = 'iPad';
  else if (/Android/.test(ua)) os = 'Android';
  else if (/Windows/.test(ua)) os = 'Windows';
  else if (/Mac OS X|Macintosh/.test(ua)) os = 'macOS';
  else if (/CrOS/.test(ua)) os = 'ChromeOS';
  else if (/Linux/.test(ua)) os = 'Linux';
  return os ? `${browser} on ${os}` : browser;
}
