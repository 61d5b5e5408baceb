// The one door to the HTTP API (API.md §0–§1). Every failure becomes an ApiError whose
// message is fit to show; auth failures also move the user to the page that fixes them
// (API.md §8 auth guard): 401 → /login, 403 password_change_required → /force-password,
// 403 setup_required → /setup.
import { setSessionReady } from "./auth";
import { navigate } from "./router";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** false on the auth forms themselves, where 401 means "wrong password", not "log in". */
  authRedirect?: boolean;
}

const PUBLIC_PREFIXES = ["/login", "/setup", "/force-password", "/share/"];

function redirectFor(error: ApiError): string | null {
  if (error.status === 401) return "/login";
  if (error.status === 403 && error.code === "password_change_required") return "/force-password";
  if (error.status === 403 && error.code === "setup_required") return "/setup";
  return null;
}

export function loginUrl(): string {
  const here = location.pathname + location.search;
  const onPublic = PUBLIC_PREFIXES.some((p) => location.pathname.startsWith(p)) || location.pathname === "/";
  return onPublic ? "/login" : `/login?next=${encodeURIComponent(here)}`;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "Cannot reach the Sparklytics server. Check your connection.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const env = json && typeof json === "object" ? json.error : null;
    const error = new ApiError(
      response.status,
      env?.code ?? `http_${response.status}`,
      env?.message ?? describeStatus(response.status),
      env?.field ?? null,
    );
    if (opts.authRedirect !== false) {
      const target = redirectFor(error);
      if (target) setSessionReady(false);
      if (target && !location.pathname.startsWith(target)) {
        navigate(target === "/login" ? loginUrl() : target, { replace: true });
      }
    }
    throw error;
  }
  return json as T;
}

function describeStatus(status: number): string {
  if (status === 404) return "Not found.";
  if (status === 429) return "Too many requests; try again in a minute.";
  if (status === 503) return "The server is busy; try again shortly.";
  if (status >= 500) return `The server failed (HTTP ${status}).`;
  return `Request failed (HTTP ${status}).`;
}

export const get = <T>(path: string, opts?: RequestOptions) => request<T>("GET", path, undefined, opts);
export const post = <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>("POST", path, body ?? {}, opts);
export const put = <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>("PUT", path, body, opts);
export const del = (path: string, opts?: RequestOptions) => request<void>("DELETE", path, undefined, opts);

// ---- wire types (API.md) --------------------------------------------------------------

export interface Website {
  id: string;
  name: string;
  domain: string;
  timezone: string;
  share_id?: string | null;
  /** Other names /api/event (Plausible) and /api/send (Umami) find the website by. */
  extra_domains?: string[];
  umami_website_id?: string | null;
  tracking_snippet?: string;
  created_at: string;
  updated_at?: string;
}

export interface Stats {
  pageviews: number;
  visitors: number;
  sessions: number;
  bounce_rate: number; // fraction 0–1
  avg_duration_seconds: number;
  prev_pageviews: number;
  prev_visitors: number;
  prev_sessions: number;
  prev_bounce_rate: number;
  prev_avg_duration_seconds: number;
  timezone: string;
}

export interface CompareMeta {
  mode: string;
  primary_range: [string, string];
  comparison_range: [string, string];
}

export interface SeriesPoint {
  date: string;
  pageviews: number;
  visitors: number;
}

export interface PageviewsData {
  series: SeriesPoint[];
  granularity: "hour" | "day" | "month";
  compare_series?: SeriesPoint[] | null;
}

export interface MetricRow {
  value: string;
  visitors: number;
  pageviews: number;
  events?: number;
  bounce_rate: number; // percent 0–100
  avg_duration_seconds: number;
  prev_visitors?: number;
  prev_pageviews?: number;
  delta_visitors_pct?: number;
}

export interface Pagination {
  total: number;
  limit: number;
  offset: number;
  has_more: boolean;
}

export interface MetricsBody {
  data: { type: string; rows: MetricRow[] };
  pagination: Pagination;
  compare?: CompareMeta | null;
}

export interface RealtimeEvent {
  event_type: string;
  event_name: string | null; // null for pageviews
  url: string;
  referrer_domain: string | null;
  country: string | null;
  browser: string | null;
  device_type: string | null;
  ts: string;
}

export interface Realtime {
  active_visitors: number;
  recent_events: RealtimeEvent[];
  pagination: { limit: number; total_in_window: number };
}

export interface Session {
  session_id: string;
  visitor_id: string;
  first_seen: string;
  last_seen: string;
  duration_seconds: number;
  pageview_count: number;
  event_count: number;
  entry_page: string | null;
  exit_page: string | null;
  country: string | null;
  browser: string | null;
  os: string | null;
  device_type: string | null;
}

export interface SessionEvent {
  id: string;
  event_type: string;
  url: string;
  event_name: string | null;
  event_data: string | null;
  created_at: string;
}

export interface EventRow {
  event_name: string;
  count: number;
  visitors: number;
  prev_count?: number;
}

export interface EventProperty {
  property_key: string;
  property_value: string;
  count: number;
}

export interface AuthStatus {
  mode: "password" | "local";
  setup_required: boolean;
  authenticated: boolean;
  password_change_required: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export type StepType = "page_view" | "event";
export type MatchOperator = "equals" | "contains";

export interface FunnelStep {
  id: string;
  funnel_id: string;
  step_order: number; // 1-based
  step_type: StepType;
  match_value: string;
  match_operator: MatchOperator;
  label: string;
  created_at: string;
}

export interface Funnel {
  id: string;
  website_id: string;
  name: string;
  steps: FunnelStep[];
  created_at: string;
  updated_at: string;
}

export interface FunnelSummary {
  id: string;
  website_id: string;
  name: string;
  step_count: number;
  created_at: string;
  updated_at: string;
}

/** A step as the create/update body takes it (label omitted = the match value). */
export interface FunnelStepInput {
  step_type: StepType;
  match_value: string;
  match_operator: MatchOperator;
  label?: string;
}

export interface FunnelStepResult {
  step_order: number;
  label: string;
  sessions_reached: number;
  drop_off_count: number;
  drop_off_rate: number; // fraction
  conversion_rate_from_start: number; // fraction
  conversion_rate_from_previous: number; // fraction
}

export interface FunnelResults {
  funnel_id: string;
  name: string;
  total_sessions_entered: number;
  final_conversion_rate: number; // fraction
  steps: FunnelStepResult[];
}

export interface JourneyBranch {
  nodes: string[];
  sessions: number;
  share: number; // fraction of total_anchor_sessions
}

export interface Journey {
  anchor: { type: "page" | "event"; value: string };
  direction: "next" | "previous";
  max_depth: number;
  total_anchor_sessions: number;
  branches: JourneyBranch[];
}

export type CohortGranularity = "day" | "week" | "month";

export interface RetentionPeriod {
  offset: number;
  retained: number;
  rate: number; // fraction
}

export interface RetentionRow {
  cohort_start: string; // YYYY-MM-DD, local day of the website
  cohort_size: number;
  periods: RetentionPeriod[];
}

export interface Retention {
  granularity: CohortGranularity;
  max_periods: number;
  rows: RetentionRow[];
  summary: { avg_period1_rate: number | null; avg_period4_rate: number | null };
}

// ---- goals (API.md §1.8) ---------------------------------------------------------------

export type ValueMode = "none" | "fixed" | "event_property";

export interface Goal {
  id: string;
  website_id: string;
  name: string;
  goal_type: StepType;
  match_value: string;
  match_operator: MatchOperator;
  value_mode: ValueMode;
  fixed_value: number | null;
  value_property_key: string | null;
  currency: string;
  created_at: string;
  updated_at: string;
}

export interface GoalConversionRow {
  goal_id: string;
  name: string;
  goal_type: StepType;
  visitors: number;
  conversions: number;
  conversion_rate: number; // percent
  revenue: number | null;
  currency: string | null;
  prev_visitors: number;
  prev_conversions: number;
  prev_conversion_rate: number;
  conversion_rate_change: number; // points
}

export interface GoalConversions {
  visitors: number;
  rows: GoalConversionRow[];
}

export type AttributionModel = "first_touch" | "last_touch";

export interface Attribution {
  goal_id: string;
  model: AttributionModel;
  rows: { channel: string; conversions: number; revenue: number; share: number }[];
  totals: { conversions: number; revenue: number };
}

// ---- bot controls (API.md §1.12) -------------------------------------------------------

export type BotMode = "strict" | "balanced" | "off";
export type BotList = "allowlist" | "blocklist";
export type BotMatchType = "ua_contains" | "ip_exact" | "ip_cidr";

export interface BotPolicy {
  website_id: string;
  mode: BotMode;
  threshold_score: number;
  updated_at: string | null;
}

export interface BotEntry {
  id: string;
  match_type: BotMatchType;
  match_value: string;
  note: string | null;
  created_at: string;
}

export interface BotReport {
  split: { bot_events: number; human_events: number; bot_rate: number };
  timeseries: { period_start: string; bot_events: number; human_events: number }[];
  top_reasons: { code: string; count: number }[];
  top_user_agents: { value: string; count: number }[];
}

export interface RecomputeJob {
  job_id: string;
  status: "queued" | "running" | "success" | "failed";
  events_total: number;
  events_done: number;
  error_message: string | null;
  created_at: string;
  completed_at: string | null;
}

// ---- saved reports and notifications (API.md §1.13, §1.14) -----------------------------

export type ReportType = "stats" | "pageviews" | "metrics" | "events";

export interface ReportConfig {
  version: number;
  report_type: ReportType;
  date_range_type: "relative" | "absolute";
  relative_days?: number;
  start_date?: string | null;
  end_date?: string | null;
  compare_mode?: string | null;
  compare_start_date?: string | null;
  compare_end_date?: string | null;
  timezone?: string | null;
  metric_type?: string | null;
  [filter: `filter_${string}`]: string | null | undefined;
}

export interface SavedReport {
  id: string;
  website_id: string;
  name: string;
  description: string | null;
  config: ReportConfig;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ReportSummary {
  id: string;
  name: string;
  description: string | null;
  report_type: ReportType;
  last_run_at: string | null;
}

export interface ReportRun {
  report_id: string | null;
  config: ReportConfig;
  ran_at: string;
  data: unknown;
}

export type Channel = "email" | "webhook";

export interface Subscription {
  id: string;
  report_id: string;
  schedule: "daily" | "weekly" | "monthly";
  timezone: string;
  channel: Channel;
  target: string;
  is_active: boolean;
  last_run_at: string | null;
  next_run_at: string;
  webhook_secret?: string;
}

export interface AlertRule {
  id: string;
  name: string;
  metric: "pageviews" | "visitors" | "conversions" | "conversion_rate";
  condition_type: "spike" | "drop" | "threshold_above" | "threshold_below";
  threshold_value: number;
  lookback_days: number;
  channel: Channel;
  target: string;
  is_active: boolean;
  webhook_secret?: string;
}

export interface Delivery {
  id: string;
  source_type: "subscription" | "alert";
  source_id: string;
  idempotency_key: string;
  status: "sent" | "failed";
  error_message: string | null;
  delivered_at: string;
}

export interface CampaignLink {
  id: string;
  website_id: string;
  name: string;
  slug: string;
  destination_url: string;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  is_active: boolean;
  created_at: string;
  clicks: number;
  unique_visitors: number;
  conversions: number;
  revenue: number;
  tracking_url: string;
}

export interface TrackingPixel {
  id: string;
  website_id: string;
  name: string;
  pixel_key: string;
  default_url: string | null;
  is_active: boolean;
  created_at: string;
  views: number;
  unique_visitors: number;
  pixel_url: string;
  snippet: string;
}
