// Overview: stat cards, pageviews/visitors chart (+ comparison series) and the breakdown
// tables. Every widget fetches on its own, so the page paints at once with skeletons.
import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import type { CompareMeta, PageviewsData, Stats, Website } from "../api";
import { Chart, type ChartSeries } from "../components/Chart";
import { FirstPageview, lifetimeStatsUrl } from "../components/FirstPageview";
import { MetricCard, type MetricSource } from "../components/MetricTable";
import { SnippetPanel } from "../components/Snippet";
import { Card, ErrorBox, SkeletonRows } from "../components/ui";
import { change, fmtDuration, fmtFraction, fmtInt } from "../format";
import { POLL_REPORTS, useApi, type Resource } from "../hooks";
import { Link, withQuery } from "../router";
import { apiParams, rangeLabel, viewQuery, type View } from "../view";
import { GoalConversionsCard } from "./Goals";

export interface DashCtx {
  site: Website;
  view: View;
  query: URLSearchParams;
}

export function Overview({ ctx }: { ctx: DashCtx }) {
  const { site, view, query } = ctx;
  const base = `/api/websites/${site.id}`;
  const stats = useApi<{ data: Stats; compare?: CompareMeta }>(`${base}/stats?${apiParams(view, { compare: true })}`, POLL_REPORTS);
  const source: MetricSource = useMemo(
    () => ({
      url: (type, limit) => `${base}/metrics?${apiParams(view, { compare: true }, { type, limit })}`,
      query,
      compare: view.compare !== "none",
    }),
    [base, query.toString()],
  );
  const empty = !!stats.data && !stats.stale && stats.data.data.pageviews === 0 && stats.data.data.visitors === 0 && view.filters.length === 0;
  return (
    <div class="page overview" data-testid="overview">
      {empty && <NeverReceived site={site} />}
      <div class="page-actions">
        <Link
          href={`/dashboard/${site.id}/reports${withQuery(new URLSearchParams(viewQuery(query)), { save: "1" })}`}
          class="btn small"
          data-testid="save-view"
          title="Save this range, comparison and these filters as a report you can run again or receive by e-mail"
        >
          Save this view
        </Link>
      </div>
      <StatCards res={stats} />
      <TrafficChart ctx={ctx} />
      <div class="grid-2">
        <MetricCard title="Pages" testid="card-pages" dims={["page", "entry_page", "exit_page"]} source={source} />
        <MetricCard title="Sources" testid="card-sources" dims={["referrer", "channel", "utm_source", "utm_medium", "utm_campaign"]} source={source} />
        <MetricCard title="Locations" testid="card-locations" dims={["country", "region", "city", "language"]} source={source} />
        <MetricCard title="Devices" testid="card-devices" dims={["browser", "os", "device", "screen"]} source={source} />
      </div>
      <GoalConversionsCard ctx={ctx} />
    </div>
  );
}

/** Shown when the period is empty: if the site never got any pageview, the snippet. */
function NeverReceived({ site }: { site: Website }) {
  const lifetime = useApi<{ data: Stats }>(lifetimeStatsUrl(site));
  const detail = useApi<{ data: Website }>(`/api/websites/${site.id}`);
  if (!lifetime.data || lifetime.data.data.pageviews > 0) return null;
  return (
    <Card title="No data yet" testid="no-data" class="highlight">
      <p>This website has not received a pageview yet. Add the tracking snippet to your site:</p>
      {detail.data ? <SnippetPanel site={detail.data.data} /> : <SkeletonRows rows={2} />}
      <FirstPageview site={site} onReceived={() => location.reload()} />
    </Card>
  );
}

interface CardDef {
  key: keyof Stats;
  prev: keyof Stats;
  label: string;
  fmt: (n: number) => string;
  lowerIsBetter?: boolean;
}

const CARDS: CardDef[] = [
  { key: "visitors", prev: "prev_visitors", label: "Visitors", fmt: fmtInt },
  { key: "pageviews", prev: "prev_pageviews", label: "Pageviews", fmt: fmtInt },
  { key: "sessions", prev: "prev_sessions", label: "Sessions", fmt: fmtInt },
  { key: "bounce_rate", prev: "prev_bounce_rate", label: "Bounce rate", fmt: fmtFraction, lowerIsBetter: true },
  { key: "avg_duration_seconds", prev: "prev_avg_duration_seconds", label: "Visit duration", fmt: fmtDuration },
];

export function StatCards({ res }: { res: Resource<{ data: Stats; compare?: CompareMeta }> }) {
  if (!res.data && res.error) return <ErrorBox error={res.error} retry={res.reload} />;
  const s = res.data?.data;
  const cmp = res.data?.compare;
  const vsLabel = !cmp
    ? "vs previous period"
    : cmp.mode === "previous_year"
      ? "vs previous year"
      : cmp.mode === "custom"
        ? `vs ${rangeLabel(cmp.comparison_range[0], cmp.comparison_range[1])}`
        : "vs previous period";
  const vsTitle = cmp ? `Compared with ${rangeLabel(cmp.comparison_range[0], cmp.comparison_range[1])}` : "Compared with the previous period of the same length";
  return (
    <div class={`stat-cards ${res.stale ? "stale" : ""}`} data-testid="stat-cards" data-loaded={s && !res.loading ? "1" : "0"}>
      {res.error && s && <ErrorBox compact error={res.error} retry={res.reload} />}
      {CARDS.map((c) => (
        <div class="stat-card" key={c.key} data-testid={`stat-${c.key}`}>
          <div class="stat-label">{c.label}</div>
          {s ? (
            <>
              <div class="stat-value" data-value={String(s[c.key])}>
                {c.fmt(s[c.key] as number)}
              </div>
              <Delta cur={s[c.key] as number} prev={s[c.prev] as number} lowerIsBetter={c.lowerIsBetter} label={vsLabel} title={vsTitle} />
            </>
          ) : (
            <div class="skeleton stat-skeleton" />
          )}
        </div>
      ))}
    </div>
  );
}

function Delta({ cur, prev, lowerIsBetter, label, title }: { cur: number; prev: number; lowerIsBetter?: boolean; label: string; title: string }) {
  const c = change(cur, prev);
  let body: ComponentChildren;
  let cls = "delta";
  if (c === null) body = "new";
  else if (Math.abs(c) < 0.0005) body = "no change";
  else {
    const good = lowerIsBetter ? c < 0 : c > 0;
    cls += good ? " good" : " bad";
    body = `${c > 0 ? "▲" : "▼"} ${Math.abs(c * 100) >= 10 ? Math.round(Math.abs(c * 100)) : Math.abs(c * 100).toFixed(1)}%`;
  }
  return (
    <div class={cls} title={title}>
      {body} <span class="muted small">{label}</span>
    </div>
  );
}

export function seriesFor(data: PageviewsData): { labels: string[]; series: ChartSeries[] } {
  const labels = data.series.map((p) => p.date);
  const series: ChartSeries[] = [
    { label: "Pageviews", values: data.series.map((p) => p.pageviews), color: "--chart-1", fill: true },
    { label: "Visitors", values: data.series.map((p) => p.visitors), color: "--chart-2" },
  ];
  if (data.compare_series && data.compare_series.length) {
    series.push({ label: "Pageviews (comparison)", values: data.compare_series.map((p) => p.pageviews), color: "--chart-3", dash: true });
  }
  return { labels, series };
}

function TrafficChart({ ctx }: { ctx: DashCtx }) {
  const { site, view } = ctx;
  const res = useApi<{ data: PageviewsData }>(`/api/websites/${site.id}/pageviews?${apiParams(view, { compare: true, granularity: true })}`, POLL_REPORTS);
  const shaped = useMemo(() => (res.data ? seriesFor(res.data.data) : null), [res.data]);
  return (
    <Card title="Pageviews and visitors" testid="chart-card">
      {!res.data && res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : shaped && res.data ? (
        <div class={res.stale ? "stale" : ""}>
          {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
          <Chart labels={shaped.labels} series={shaped.series} granularity={res.data.data.granularity} testid="traffic-chart" />
        </div>
      ) : (
        <div class="skeleton chart-skeleton" />
      )}
    </Card>
  );
}
