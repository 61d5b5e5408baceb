// The dashboard "view" = date range + compare + filters + bots, read from and written to
// the URL (API.md §8: `range`/`start`/`end`, `compare_mode`/`compare_start`/`compare_end`,
// `filter_*`; ours: `bots=include`), and turned into API query parameters (API.md §1.2,
// §1.5). Reports always send `include_bots`, so "bots hidden" on screen is true whatever
// the website's bot policy is.

export const PRESETS = [
  { id: "today", label: "Today" },
  { id: "24h", label: "Last 24 hours" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
  { id: "90d", label: "Last 90 days" },
  { id: "12m", label: "Last 12 months" },
  { id: "custom", label: "Custom range" },
] as const;
export type Preset = (typeof PRESETS)[number]["id"];
export const DEFAULT_PRESET: Preset = "30d";

export const COMPARE_MODES = [
  { id: "none", label: "No comparison" },
  { id: "previous_period", label: "Previous period" },
  { id: "previous_year", label: "Previous year" },
  { id: "custom", label: "Custom period" },
] as const;
export type CompareMode = (typeof COMPARE_MODES)[number]["id"];

/** Filters the API accepts (API.md §1.2), with labels for the filter bar. */
export const FILTER_LABELS: Record<string, string> = {
  filter_page: "Page",
  filter_referrer: "Referrer",
  filter_utm_source: "UTM source",
  filter_utm_medium: "UTM medium",
  filter_utm_campaign: "UTM campaign",
  filter_channel: "Channel",
  filter_country: "Country",
  filter_region: "Region",
  filter_city: "City",
  filter_browser: "Browser",
  filter_os: "OS",
  filter_device: "Device",
  filter_language: "Language",
  filter_hostname: "Hostname",
  filter_goal: "Converted on goal",
};

export interface View {
  preset: Preset;
  start: string; // YYYY-MM-DD, local days of the website's time zone
  end: string;
  granularity: "hour" | null; // null = the API's automatic choice
  compare: CompareMode;
  compareStart: string | null;
  compareEnd: string | null;
  filters: [string, string][];
  /** Bot traffic counted too (`bots=include` in the URL); hidden by default. */
  includeBots: boolean;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function isDate(s: string | null | undefined): s is string {
  return !!s && DATE_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

/** Today's date in `timeZone` as YYYY-MM-DD (falls back to UTC for an unknown zone). */
export function todayIn(timeZone: string, now = new Date()): string {
  const fmt = (tz: string) =>
    new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  try {
    return fmt(timeZone || "UTC");
  } catch {
    return fmt("UTC");
  }
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function addMonths(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number);
  const target = new Date(Date.UTC(y, m - 1 + n, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}

export function daysBetween(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
}

export function presetRange(preset: Preset, today: string): [string, string] {
  switch (preset) {
    case "today":
      return [today, today];
    case "24h":
      return [addDays(today, -1), today];
    case "7d":
      return [addDays(today, -6), today];
    case "90d":
      return [addDays(today, -89), today];
    case "12m":
      return [addDays(addMonths(today, -12), 1), today];
    default:
      return [addDays(today, -29), today];
  }
}

export function readView(query: URLSearchParams, timeZone: string, now = new Date()): View {
  const today = todayIn(timeZone, now);
  let preset = (query.get("range") ?? DEFAULT_PRESET) as Preset;
  if (!PRESETS.some((p) => p.id === preset)) preset = DEFAULT_PRESET;
  let start: string;
  let end: string;
  const qs = query.get("start");
  const qe = query.get("end");
  if (preset === "custom" && isDate(qs) && isDate(qe)) {
    [start, end] = qs <= qe ? [qs, qe] : [qe, qs];
  } else {
    if (preset === "custom") preset = DEFAULT_PRESET;
    [start, end] = presetRange(preset, today);
  }
  let compare = (query.get("compare_mode") ?? "none") as CompareMode;
  if (!COMPARE_MODES.some((c) => c.id === compare)) compare = "none";
  let compareStart = query.get("compare_start");
  let compareEnd = query.get("compare_end");
  if (compare === "custom") {
    if (!isDate(compareStart) || !isDate(compareEnd)) {
      // Default custom comparison: the same length, one period earlier.
      const days = daysBetween(start, end);
      compareEnd = addDays(start, -1);
      compareStart = addDays(start, -days);
    } else if (compareStart > compareEnd) {
      [compareStart, compareEnd] = [compareEnd, compareStart];
    }
  } else {
    compareStart = compareEnd = null;
  }
  const filters: [string, string][] = [];
  for (const [key, value] of query) {
    if (key in FILTER_LABELS && value) filters.push([key, value]);
  }
  const includeBots = query.get("bots") === "include";
  return { preset, start, end, granularity: preset === "24h" ? "hour" : null, compare, compareStart, compareEnd, filters, includeBots };
}

export interface ParamOptions {
  compare?: boolean;
  filters?: boolean;
  granularity?: boolean;
  /** false: leave `include_bots` out (export: the API always includes bots). */
  bots?: boolean;
  /** Clamp the range to this many days ending at `end` (events: 90). */
  maxDays?: number;
  /** true: the route takes whole days only (export, journey, retention), so "Last 24 hours"
   * asks for yesterday and today instead of the API's rolling `period=24h`. */
  wholeDays?: boolean;
}

/** API query string for `view` (without "?"). */
export function apiParams(view: View, opts: ParamOptions = {}, extra: Record<string, string | number> = {}): string {
  const p = new URLSearchParams();
  if (view.preset === "24h" && !opts.wholeDays) {
    p.set("period", "24h");
  } else {
    let start = view.start;
    if (opts.maxDays && daysBetween(start, view.end) > opts.maxDays) start = addDays(view.end, -(opts.maxDays - 1));
    p.set("start_date", start);
    p.set("end_date", view.end);
  }
  if (opts.granularity && view.granularity) p.set("granularity", view.granularity);
  if (opts.compare && view.compare !== "none") {
    p.set("compare_mode", view.compare);
    if (view.compare === "custom" && view.compareStart && view.compareEnd) {
      p.set("compare_start_date", view.compareStart);
      p.set("compare_end_date", view.compareEnd);
    }
  }
  if (opts.filters !== false) for (const [k, v] of view.filters) p.set(k, v);
  if (opts.bots !== false) p.set("include_bots", String(view.includeBots));
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  return p.toString();
}

/** The URL query keys that make up a view (kept when moving between dashboard pages). */
export function viewQuery(query: URLSearchParams): string {
  const keep = new URLSearchParams();
  for (const [k, v] of query) {
    if (["range", "start", "end", "compare_mode", "compare_start", "compare_end", "bots"].includes(k) || k in FILTER_LABELS) keep.append(k, v);
  }
  const s = keep.toString();
  return s ? `?${s}` : "";
}

/** Human label of the range, e.g. "Mar 1 – Mar 30, 2026". */
export function rangeLabel(start: string, end: string): string {
  const fmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  const a = new Date(`${start}T00:00:00Z`);
  const b = new Date(`${end}T00:00:00Z`);
  return start === end ? fmt.format(a) : `${fmt.format(a)} – ${fmt.format(b)}`;
}
