// Number, duration, date and name formatting (all through Intl: no locale data shipped).

const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Math.abs(n) >= 100_000 ? compactFmt.format(n) : intFmt.format(n);
}

/** 0.4213 → "42.1%" (fraction in). */
export function fmtFraction(f: number | null | undefined): string {
  if (f === null || f === undefined || Number.isNaN(f)) return "–";
  return `${(f * 100).toFixed(f * 100 >= 10 || f === 0 ? 0 : 1)}%`;
}

/** 42.13 → "42%" (percent in). */
export function fmtPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "–";
  return `${Math.round(p)}%`;
}

/** 1234.5, "EUR" → "€1,234.50" (an unknown currency code falls back to "1,234.50 XYZ"). */
export function fmtMoney(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return "–";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency ?? ""}`.trim();
  }
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** Relative change cur vs prev as a fraction, or null when there is no base. */
export function change(cur: number, prev: number): number | null {
  if (!prev) return cur ? null : 0;
  return (cur - prev) / prev;
}

/** API timestamps ("YYYY-MM-DD HH:MM:SS[.ffffff]", UTC, no offset) → Date. */
export function parseUtc(ts: string): Date {
  const iso = ts.includes("T") ? ts : ts.replace(" ", "T");
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}

// Wall-clock formats. Pass the website's time zone wherever its data is shown, so a
// session's times agree with the charts (which the API buckets in that zone); without
// one they use the browser's zone. An unknown zone falls back to the browser's.
const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
const SHORT_DATE_TIME: Intl.DateTimeFormatOptions = { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
const TIME: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(options: Intl.DateTimeFormatOptions, timeZone?: string): Intl.DateTimeFormat {
  const key = `${JSON.stringify(options)}|${timeZone ?? ""}`;
  let fmt = formatters.get(key);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat(undefined, { ...options, timeZone });
    } catch {
      fmt = new Intl.DateTimeFormat(undefined, options);
    }
    formatters.set(key, fmt);
  }
  return fmt;
}

function fmtWith(options: Intl.DateTimeFormatOptions, ts: string, timeZone?: string): string {
  const d = parseUtc(ts);
  return Number.isNaN(d.getTime()) ? ts : formatter(options, timeZone).format(d);
}

export function fmtDateTime(ts: string, timeZone?: string): string {
  return fmtWith(DATE_TIME, ts, timeZone);
}

/** "Nov 25, 7:16 PM": for tables (no year, no seconds). */
export function fmtShortDateTime(ts: string, timeZone?: string): string {
  return fmtWith(SHORT_DATE_TIME, ts, timeZone);
}

export function fmtTime(ts: string, timeZone?: string): string {
  return fmtWith(TIME, ts, timeZone);
}

export function fmtAgo(ts: string, now = Date.now()): string {
  const d = parseUtc(ts).getTime();
  if (Number.isNaN(d)) return ts;
  const s = Math.max(0, Math.round((now - d) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

let regionNames: Intl.DisplayNames | null = null;
let languageNames: Intl.DisplayNames | null = null;
try {
  regionNames = new Intl.DisplayNames(undefined, { type: "region" });
  languageNames = new Intl.DisplayNames(undefined, { type: "language" });
} catch {
  /* old browser: show the codes */
}

export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  try {
    return regionNames?.of(code) ?? code;
  } catch {
    return code;
  }
}

export function flag(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return "";
  return String.fromCodePoint(...[...code].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

export function languageName(tag: string): string {
  try {
    const name = languageNames?.of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag;
  }
}

/** "https://x.example/a?b" → "/a?b"; keeps anything that is not an absolute URL. */
export function shortUrl(url: string): string {
  const m = /^https?:\/\/[^/?#]+(.*)$/.exec(url);
  return m ? m[1] || "/" : url;
}
