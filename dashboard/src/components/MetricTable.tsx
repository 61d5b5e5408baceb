// Breakdown tables (GET /metrics?type=…): one card per family with a tab per dimension.
// Each tab fetches on its own when shown; clicking a row adds the matching `filter_*`
// to the URL, which re-filters every widget of the dashboard.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { MetricRow, MetricsBody } from "../api";
import { countryName, flag, fmtInt, fmtPercent, languageName } from "../format";
import { POLL_REPORTS, useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { Card, Empty, ErrorBox, SkeletonRows, Tabs } from "./ui";

export interface Dimension {
  type: string;
  label: string; // tab label
  column: string; // first column header
  /** The filter a row click sets; none = rows are not clickable (no such API filter). */
  filter?: string;
  render?: (value: string) => ComponentChildren;
  /** Which count drives the bar (page-like dimensions: pageviews). */
  by?: "visitors" | "pageviews";
}

const country = (v: string) => (
  <>
    <span class="flag" aria-hidden="true">
      {flag(v)}
    </span>{" "}
    {countryName(v)}
  </>
);

export const DIMENSIONS: Record<string, Dimension> = {
  page: { type: "page", label: "Top pages", column: "Page", filter: "filter_page", by: "pageviews" },
  entry_page: { type: "entry_page", label: "Entry pages", column: "Entry page", filter: "filter_page" },
  exit_page: { type: "exit_page", label: "Exit pages", column: "Exit page", filter: "filter_page" },
  referrer: { type: "referrer", label: "Referrers", column: "Referrer", filter: "filter_referrer" },
  channel: { type: "channel", label: "Channels", column: "Channel", filter: "filter_channel" },
  utm_source: { type: "utm_source", label: "UTM sources", column: "UTM source", filter: "filter_utm_source" },
  utm_medium: { type: "utm_medium", label: "UTM mediums", column: "UTM medium", filter: "filter_utm_medium" },
  utm_campaign: { type: "utm_campaign", label: "UTM campaigns", column: "UTM campaign", filter: "filter_utm_campaign" },
  country: { type: "country", label: "Countries", column: "Country", filter: "filter_country", render: country },
  region: { type: "region", label: "Regions", column: "Region", filter: "filter_region" },
  city: { type: "city", label: "Cities", column: "City", filter: "filter_city" },
  language: { type: "language", label: "Languages", column: "Language", filter: "filter_language", render: languageName },
  browser: { type: "browser", label: "Browsers", column: "Browser", filter: "filter_browser" },
  os: { type: "os", label: "Operating systems", column: "OS", filter: "filter_os" },
  device: { type: "device", label: "Devices", column: "Device", filter: "filter_device" },
  screen: { type: "screen", label: "Screens", column: "Screen size" },
};

export interface MetricSource {
  /** URL for a page of rows: `(type, limit) → /api/...` */
  url: (type: string, limit: number) => string;
  /** Current URL query, for filter links; omit for read-only tables (share page). */
  query?: URLSearchParams;
  compare?: boolean;
}

export function MetricCard(props: { title: string; dims: string[]; source: MetricSource; testid?: string }) {
  const [tab, setTab] = useState(props.dims[0]);
  const dim = DIMENSIONS[tab];
  return (
    <Card
      title={props.title}
      testid={props.testid}
      actions={<Tabs label={props.title} tabs={props.dims.map((id) => ({ id, label: DIMENSIONS[id].label }))} value={tab} onChange={setTab} />}
    >
      <MetricTable key={tab} dim={dim} source={props.source} />
    </Card>
  );
}

const PAGE = 10;

export function MetricTable({ dim, source }: { dim: Dimension; source: MetricSource }) {
  const [limit, setLimit] = useState(PAGE);
  const res = useApi<MetricsBody>(source.url(dim.type, limit), POLL_REPORTS);
  const body = res.data;
  if (!body && res.error) return <ErrorBox error={res.error} retry={res.reload} />;
  if (!body) return <SkeletonRows rows={6} />;
  return (
    <div class={res.stale ? "stale" : ""} data-testid={`metric-${dim.type}`} data-loaded={res.loading ? "0" : "1"}>
      {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
      <RowsTable rows={body.data.rows} dim={dim} source={source} />
      {body.pagination?.has_more && limit < 100 && (
        <button type="button" class="btn link more" onClick={() => setLimit(Math.min(100, limit + 20))}>
          Show more ({fmtInt(body.pagination.total - body.data.rows.length)} more)
        </button>
      )}
    </div>
  );
}

export function RowsTable({ rows, dim, source }: { rows: MetricRow[]; dim: Dimension; source: MetricSource }) {
  if (rows.length === 0) return <Empty>No data for this period.</Empty>;
  const by = dim.by ?? "visitors";
  const max = Math.max(1, ...rows.map((r) => r[by] ?? 0));
  const showCompare = !!source.compare && rows.some((r) => r.prev_visitors !== undefined);
  const activeValue = dim.filter ? source.query?.get(dim.filter) : null;
  return (
    <table class="metric-table">
      <thead>
        <tr>
          <th scope="col">{dim.column}</th>
          <th scope="col" class="num">
            Visitors
          </th>
          <th scope="col" class="num">
            Views
          </th>
          {showCompare && (
            <th scope="col" class="num">
              Change
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const clickable = !!(dim.filter && source.query && activeValue !== row.value);
          const go = () => {
            if (clickable && dim.filter && source.query) navigate(location.pathname + withQuery(source.query, { [dim.filter]: row.value }));
          };
          return (
            <tr
              key={row.value}
              class={clickable ? "clickable" : undefined}
              tabIndex={clickable ? 0 : undefined}
              onClick={go}
              onKeyDown={(e) => {
                if (e.key === "Enter") go();
              }}
              title={clickable ? `Filter by ${dim.column.toLowerCase()}: ${row.value}` : undefined}
              data-value={row.value}
            >
              <td class="label-cell">
                <span class="bar" style={{ width: `${((row[by] ?? 0) / max) * 100}%` }} />
                <span class="label-text">{dim.render ? dim.render(row.value) : row.value}</span>
              </td>
              <td class="num">{fmtInt(row.visitors)}</td>
              <td class="num">{fmtInt(row.events ?? row.pageviews)}</td>
              {showCompare && <td class="num">{deltaCell(row)}</td>}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function deltaCell(row: MetricRow) {
  if (!row.prev_visitors) return <span class="muted">{row.visitors ? "new" : "–"}</span>;
  const pct = (row.delta_visitors_pct ?? 0) * 100;
  return <span class={pct > 0 ? "up" : pct < 0 ? "down" : "muted"}>{`${pct > 0 ? "+" : ""}${fmtPercent(pct)}`}</span>;
}
