// Custom events: names with counts, and for the chosen name (`?event=` in the URL) its
// occurrences over time and its property breakdown. The events API covers at most 90
// days, so longer ranges are cut to their last 90 days (and the page says so).
import { useMemo } from "preact/hooks";
import type { EventProperty, EventRow } from "../api";
import { Chart } from "../components/Chart";
import { Card, Empty, ErrorBox, SkeletonRows } from "../components/ui";
import { change, fmtInt } from "../format";
import { POLL_REPORTS, useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { apiParams, daysBetween } from "../view";
import type { DashCtx } from "./Overview";

const MAX_DAYS = 90;

export function EventsPage({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}/events`;
  const params = apiParams(ctx.view, { maxDays: MAX_DAYS });
  const list = useApi<{ data: { rows: EventRow[]; total: number } }>(`${base}?${params}`, POLL_REPORTS);
  const selected = ctx.query.get("event");
  const choose = (name: string | null) => navigate(location.pathname + withQuery(ctx.query, { event: name }));
  const clamped = daysBetween(ctx.view.start, ctx.view.end) > MAX_DAYS;
  return (
    <div class="page events" data-testid="events">
      {clamped && <p class="notice">Custom events cover at most 90 days: showing the last 90 days of the range.</p>}
      <div class="grid-2 events-grid">
        <Card title="Custom events" testid="events-card">
          {!list.data && list.error ? (
            <ErrorBox error={list.error} retry={list.reload} />
          ) : !list.data ? (
            <SkeletonRows rows={6} />
          ) : list.data.data.rows.length === 0 ? (
            <Empty>
              No custom events in this period. Send one from your site with <code>sparklytics.track('signup', {"{ plan: 'pro' }"})</code>.
            </Empty>
          ) : (
            <table class="metric-table">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col" class="num">
                    Visitors
                  </th>
                  <th scope="col" class="num">
                    Count
                  </th>
                  <th scope="col" class="num hide-sm">
                    Change
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.rows.map((r) => {
                  const c = r.prev_count === undefined ? null : change(r.count, r.prev_count);
                  return (
                    <tr
                      key={r.event_name}
                      class={r.event_name === selected ? "clickable selected" : "clickable"}
                      tabIndex={0}
                      onClick={() => choose(r.event_name)}
                      onKeyDown={(e) => e.key === "Enter" && choose(r.event_name)}
                      data-testid="event-row"
                      data-value={r.event_name}
                    >
                      <td class="label-cell">
                        <span class="label-text">{r.event_name}</span>
                      </td>
                      <td class="num">{fmtInt(r.visitors)}</td>
                      <td class="num">{fmtInt(r.count)}</td>
                      <td class="num hide-sm">
                        {c === null ? <span class="muted">new</span> : <span class={c > 0 ? "up" : c < 0 ? "down" : "muted"}>{`${c > 0 ? "+" : ""}${Math.round(c * 100)}%`}</span>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Card>
        {selected ? (
          <EventDetail base={base} params={params} name={selected} onClose={() => choose(null)} />
        ) : (
          <Card title="Details">
            <Empty>Choose an event to see its trend and properties.</Empty>
          </Card>
        )}
      </div>
    </div>
  );
}

function EventDetail({ base, params, name, onClose }: { base: string; params: string; name: string; onClose: () => void }) {
  const q = `${params}&event_name=${encodeURIComponent(name)}`;
  const series = useApi<{ data: { series: { date: string; pageviews: number; visitors: number }[]; granularity: "hour" | "day" | "month" } }>(
    `${base}/timeseries?${q}`,
    POLL_REPORTS,
  );
  const props = useApi<{ data: { total_occurrences: number; sample_size: number; properties: EventProperty[] } }>(`${base}/properties?${q}`, POLL_REPORTS);
  const chart = useMemo(() => {
    const s = series.data?.data.series ?? [];
    return {
      labels: s.map((p) => p.date),
      series: [
        { label: "Occurrences", values: s.map((p) => p.pageviews), color: "--chart-1", fill: true },
        { label: "Visitors", values: s.map((p) => p.visitors), color: "--chart-2" },
      ],
    };
  }, [series.data]);
  const grouped = useMemo(() => {
    const m = new Map<string, EventProperty[]>();
    for (const p of props.data?.data.properties ?? []) {
      if (!m.has(p.property_key)) m.set(p.property_key, []);
      m.get(p.property_key)!.push(p);
    }
    return [...m.entries()];
  }, [props.data]);
  return (
    <Card
      title={<span data-testid="event-detail-title">{name}</span>}
      testid="event-detail"
      actions={
        <button type="button" class="btn small ghost" onClick={onClose} aria-label="Close details">
          ✕
        </button>
      }
    >
      {!series.data && series.error ? (
        <ErrorBox error={series.error} retry={series.reload} />
      ) : !series.data ? (
        <div class="skeleton chart-skeleton" />
      ) : (
        <Chart labels={chart.labels} series={chart.series} granularity={series.data.data.granularity} height={180} testid="event-chart" />
      )}
      <h3>Properties</h3>
      {!props.data && props.error ? (
        <ErrorBox error={props.error} retry={props.reload} />
      ) : !props.data ? (
        <SkeletonRows rows={4} />
      ) : grouped.length === 0 ? (
        <Empty>This event has no properties.</Empty>
      ) : (
        <div data-testid="event-properties">
          <p class="muted small">
            From the newest {fmtInt(props.data.data.sample_size)} of {fmtInt(props.data.data.total_occurrences)} occurrences.
          </p>
          {grouped.map(([key, values]) => {
            const max = Math.max(1, ...values.map((v) => v.count));
            return (
              <table class="metric-table props" key={key}>
                <thead>
                  <tr>
                    <th scope="col">{key}</th>
                    <th scope="col" class="num">
                      Count
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {values.map((v) => (
                    <tr key={v.property_value} data-testid="property-row">
                      <td class="label-cell">
                        <span class="bar" style={{ width: `${(v.count / max) * 100}%` }} />
                        <span class="label-text">{v.property_value}</span>
                      </td>
                      <td class="num">{fmtInt(v.count)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            );
          })}
        </div>
      )}
    </Card>
  );
}
