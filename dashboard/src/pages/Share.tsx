// Public share page: a read-only overview from GET /api/share/{id}/overview, no login,
// titled with the website's name (the share API's `website.name`).
// Ranges are limited to 90 days by the API; there are no filters and no compare.
import { useEffect, useMemo, useState } from "preact/hooks";
import type { MetricRow, PageviewsData, Stats } from "../api";
import { Chart } from "../components/Chart";
import { Footer } from "../components/Footer";
import { DIMENSIONS, RowsTable } from "../components/MetricTable";
import { Card, ErrorBox, SkeletonRows } from "../components/ui";
import { POLL_REPORTS, useApi, type Resource } from "../hooks";
import { navigate, useLocation, useTitle, withQuery } from "../router";
import { presetRange, rangeLabel, todayIn, type Preset } from "../view";
import { Logo } from "./Auth";
import { StatCards, seriesFor } from "./Overview";
import { browserTimezone } from "./Onboarding";

interface OverviewBody {
  data: {
    stats: Stats;
    pageviews: PageviewsData;
    metrics: Record<string, { rows: MetricRow[] }>;
  };
  website: { name: string };
}

const SHARE_PRESETS: { id: Preset; label: string }[] = [
  { id: "today", label: "Today" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
  { id: "90d", label: "Last 90 days" },
];

const TABLES: [string, string][] = [
  ["page", "Top pages"],
  ["referrer", "Referrers"],
  ["country", "Countries"],
  ["browser", "Browsers"],
  ["os", "Operating systems"],
  ["device", "Devices"],
];

export function SharePage({ shareId }: { shareId: string }) {
  const { query } = useLocation();
  const [siteName, setSiteName] = useState<string | undefined>(undefined);
  useTitle(siteName ? `${siteName} (shared)` : "Shared dashboard");
  const [tz, setTz] = useState(browserTimezone());
  let preset = (query.get("range") ?? "30d") as Preset;
  if (!SHARE_PRESETS.some((p) => p.id === preset)) preset = "30d";
  const [start, end] = presetRange(preset, todayIn(tz));
  const res = useApi<OverviewBody>(`/api/share/${encodeURIComponent(shareId)}/overview?start_date=${start}&end_date=${end}`, POLL_REPORTS);
  const data = res.data?.data;
  useEffect(() => {
    if (res.data?.website.name) setSiteName(res.data.website.name);
  }, [res.data?.website.name]);
  useEffect(() => {
    if (data?.stats.timezone && data.stats.timezone !== tz) setTz(data.stats.timezone);
  }, [data?.stats.timezone]);

  const statsRes: Resource<{ data: Stats }> = { ...res, data: data ? { data: data.stats } : undefined };
  const chart = useMemo(() => (data ? seriesFor(data.pageviews) : null), [data]);

  if (!data && res.error) {
    return (
      <main class="page narrow share" data-testid="share-page">
        <ShareHeader />
        {res.error.status === 404 ? (
          <Card title="This link does not work">
            <p data-testid="share-missing">This share link does not exist or sharing was turned off by the site owner.</p>
          </Card>
        ) : (
          <ErrorBox error={res.error} retry={res.reload} />
        )}
      </main>
    );
  }
  return (
    <main class="page share" data-testid="share-page">
      <ShareHeader name={siteName} />
      <div class="toolbar">
        <div class="toolbar-row">
          <select
            aria-label="Date range"
            data-testid="share-range"
            value={preset}
            onChange={(e) => navigate(location.pathname + withQuery(query, { range: (e.target as HTMLSelectElement).value }))}
          >
            {SHARE_PRESETS.map((p) => (
              <option value={p.id} key={p.id}>
                {p.label}
              </option>
            ))}
          </select>
          <span class="muted">{rangeLabel(start, end)}</span>
          <span class="badge">Read-only</span>
        </div>
      </div>
      <StatCards res={statsRes} />
      <Card title="Pageviews and visitors">
        {chart && data ? <Chart labels={chart.labels} series={chart.series} granularity={data.pageviews.granularity} testid="share-chart" /> : <div class="skeleton chart-skeleton" />}
      </Card>
      <div class="grid-2">
        {TABLES.map(([type, title]) => (
          <Card title={title} key={type} testid={`share-table-${type}`}>
            {data ? <RowsTable rows={data.metrics[type]?.rows ?? []} dim={DIMENSIONS[type]} source={{ url: () => "" }} /> : <SkeletonRows rows={5} />}
          </Card>
        ))}
      </div>
      <p class="muted small center">
        Privacy-friendly analytics by Sparklytics: no cookies, no personal data.
      </p>
      <Footer />
    </main>
  );
}

function ShareHeader({ name }: { name?: string }) {
  return (
    <header class="share-head">
      {name !== undefined && (
        <h1 class="share-title" data-testid="share-site-name">
          {name}
        </h1>
      )}
      <span class="brand">
        <Logo /> Sparklytics
      </span>
    </header>
  );
}
