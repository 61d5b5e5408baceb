// Retention (API.md §1.11): visitors grouped by the day, week or month they were first
// seen (cohorts), and the share of each cohort that came back 1, 2, … periods later, as
// a heatmap; plus the average period-1 and period-4 rates. The controls live in the URL
// (`cohort_granularity`, `max_periods`, the API's own names).
//
// The API zero-fills every row to max_periods periods, also those that have not begun
// yet; a cell whose period starts after today (in the website's time zone) is shown
// empty ("not yet") rather than as a 0% that never had a chance.
//
// Anonymous visitor ids are keyed by a salt that changes daily (Decision 6), so returns
// on later days are those of identified visitors; the page says so under the heatmap.
import type { CohortGranularity, Retention, RetentionRow } from "../api";
import { Card, Empty, ErrorBox, SkeletonRows, Tabs } from "../components/ui";
import { fmtFraction, fmtInt } from "../format";
import { POLL_REPORTS, useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { addDays, addMonths, apiParams, todayIn } from "../view";
import type { DashCtx } from "./Overview";

/** Allowed and default period counts per granularity (API limits). */
const PERIODS: Record<CohortGranularity, { max: number; default: number; unit: string; adjective: string }> = {
  day: { max: 30, default: 30, unit: "Day", adjective: "Daily" },
  week: { max: 12, default: 8, unit: "Week", adjective: "Weekly" },
  month: { max: 12, default: 12, unit: "Month", adjective: "Monthly" },
};
const GRANULARITIES: CohortGranularity[] = ["day", "week", "month"];

function readControls(query: URLSearchParams): { granularity: CohortGranularity; periods: number } {
  const g = query.get("cohort_granularity");
  const granularity: CohortGranularity = g === "day" || g === "month" ? g : "week";
  const n = Number(query.get("max_periods"));
  const limits = PERIODS[granularity];
  return { granularity, periods: Number.isInteger(n) && n >= 1 && n <= limits.max ? n : limits.default };
}

/** First day of period `offset` of the cohort starting on `start`. */
function periodStart(start: string, granularity: CohortGranularity, offset: number): string {
  if (granularity === "day") return addDays(start, offset);
  if (granularity === "week") return addDays(start, 7 * offset);
  return addMonths(start, offset);
}

const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
const monthFmt = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });

function cohortLabel(start: string, granularity: CohortGranularity): string {
  const d = new Date(`${start}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return start;
  if (granularity === "month") return monthFmt.format(d);
  return granularity === "week" ? `Week of ${dayFmt.format(d)}` : dayFmt.format(d);
}

export function RetentionPage({ ctx }: { ctx: DashCtx }) {
  const { granularity, periods } = readControls(ctx.query);
  const limits = PERIODS[granularity];
  const res = useApi<{ data: Retention }>(
    `/api/websites/${ctx.site.id}/retention?${apiParams(ctx.view, { wholeDays: true }, { cohort_granularity: granularity, max_periods: periods })}`,
    POLL_REPORTS,
  );
  const set = (changes: Record<string, string | null>) => navigate(location.pathname + withQuery(ctx.query, changes));
  const data = res.data?.data;
  return (
    <div class="page retention" data-testid="retention">
      <div class="toolbar-row retention-controls">
        <Tabs
          label="Cohort size"
          tabs={GRANULARITIES.map((g) => ({ id: g, label: PERIODS[g].adjective }))}
          value={granularity}
          onChange={(g) => set({ cohort_granularity: g === "week" ? null : g, max_periods: null })}
        />
        <label class="select-label">
          <span class="muted small">Periods </span>
          <select
            data-testid="periods-select"
            value={String(periods)}
            onChange={(e) => {
              const n = Number((e.target as HTMLSelectElement).value);
              set({ max_periods: n === limits.default ? null : String(n) });
            }}
          >
            {Array.from({ length: limits.max }, (_, i) => i + 1).map((n) => (
              <option key={n} value={String(n)}>
                {n} {limits.unit.toLowerCase()}
                {n === 1 ? "" : "s"}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!data && res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : !data ? (
        <>
          <div class="stat-cards four">
            {[0, 1, 2, 3].map((i) => (
              <div class="stat-card" key={i}>
                <div class="skeleton stat-skeleton" />
              </div>
            ))}
          </div>
          <Card title="Cohorts">
            <SkeletonRows rows={6} />
          </Card>
        </>
      ) : (
        <div class={res.stale ? "stale stack" : "stack"} data-loaded={res.loading ? "0" : "1"}>
          {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
          <Summary data={data} end={ctx.view.end} />
          <Card title="Cohorts" testid="retention-card">
            {data.rows.length === 0 ? (
              <Empty>No new visitors in this period, so there is no cohort to follow.</Empty>
            ) : (
              <Heatmap data={data} today={todayIn(ctx.site.timezone)} />
            )}
            <p class="muted small" data-testid="retention-identity-note">
              Sparklytics sets no cookies, and an anonymous visitor's id changes every day at midnight UTC. So a
              visitor can be followed into later days only when your site calls <code>sparklytics.identify()</code>;
              anonymous visitors show up as new visitors on each day they come back.
            </p>
          </Card>
        </div>
      )}
    </div>
  );
}

function Summary({ data, end }: { data: Retention; end: string }) {
  const unit = PERIODS[data.granularity].unit;
  const visitors = data.rows.reduce((sum, r) => sum + r.cohort_size, 0);
  // The API averages over the cohorts whose period k began by the range's end and
  // answers 0.0 when there is none: that is "no data yet", not 0%.
  const average = (k: number, rate: number | null) => {
    if (rate === null || data.max_periods <= k) return { value: "–", raw: null, note: `Choose more than ${k} ${unit.toLowerCase()}s to see it` };
    if (!data.rows.some((r) => periodStart(r.cohort_start, data.granularity, k) <= end)) {
      return { value: "–", raw: null, note: `No cohort reached ${unit.toLowerCase()} ${k} by the end of the range` };
    }
    return { value: fmtFraction(rate), raw: rate, note: "average over cohorts" };
  };
  const cards = [
    { id: "cohorts", label: "Cohorts", value: fmtInt(data.rows.length), raw: data.rows.length as number | null, note: "\u00a0" },
    { id: "visitors", label: "New visitors", value: fmtInt(visitors), raw: visitors as number | null, note: "\u00a0" },
    { id: "period1", label: `${unit} 1 retention`, ...average(1, data.summary.avg_period1_rate) },
    { id: "period4", label: `${unit} 4 retention`, ...average(4, data.summary.avg_period4_rate) },
  ];
  return (
    <div class="stat-cards four" data-testid="retention-summary">
      {cards.map((c) => (
        <div class="stat-card" key={c.id} data-testid={`retention-${c.id}`}>
          <div class="stat-label">{c.label}</div>
          <div class="stat-value" data-value={String(c.raw)}>
            {c.value}
          </div>
          <div class="delta">{c.note}</div>
        </div>
      ))}
    </div>
  );
}

function Heatmap({ data, today }: { data: Retention; today: string }) {
  const unit = PERIODS[data.granularity].unit;
  const offsets = data.rows[0].periods.map((p) => p.offset);
  return (
    <div class="table-scroll">
      <table class="heatmap" data-testid="retention-heatmap">
        <caption class="sr-only">
          Share of each cohort active again after each {unit.toLowerCase()}; rows are cohorts by first visit.
        </caption>
        <thead>
          <tr>
            <th scope="col">Cohort</th>
            <th scope="col" class="num">
              Visitors
            </th>
            {offsets.map((o) => (
              <th scope="col" class="num" key={o}>
                {unit} {o}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.rows.map((row) => (
            <CohortRow key={row.cohort_start} row={row} granularity={data.granularity} today={today} unit={unit} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CohortRow({ row, granularity, today, unit }: { row: RetentionRow; granularity: CohortGranularity; today: string; unit: string }) {
  return (
    <tr data-testid="cohort-row" data-cohort={row.cohort_start} data-size={row.cohort_size}>
      <th scope="row" class="nowrap">
        {cohortLabel(row.cohort_start, granularity)}
      </th>
      <td class="num" data-testid="cohort-size">
        {fmtInt(row.cohort_size)}
      </td>
      {row.periods.map((p) =>
        periodStart(row.cohort_start, granularity, p.offset) > today ? (
          <td class="heat future" key={p.offset} data-offset={p.offset} title={`${unit} ${p.offset} has not begun yet`}>
            <span class="sr-only">not yet</span>
          </td>
        ) : (
          <td
            class={p.rate >= 0.5 ? "heat num strong" : "heat num"}
            key={p.offset}
            data-offset={p.offset}
            data-retained={p.retained}
            style={{ "--rate": String(p.rate) }}
            title={`${unit} ${p.offset}: ${fmtInt(p.retained)} of ${fmtInt(row.cohort_size)} visitors (${fmtFraction(p.rate)})`}
          >
            {fmtFraction(p.rate)}
          </td>
        ),
      )}
    </tr>
  );
}
