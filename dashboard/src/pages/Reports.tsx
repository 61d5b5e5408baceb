// Reports (API.md §1.13, §1.14): saved reports (list, create from the current view or from
// scratch, edit, preview, run, delete), their e-mail or webhook subscriptions, alerts on
// the website's daily numbers, "send test" with its result at once, and the delivery
// history. "Save this view" on the overview opens the create form here with the view's
// range, comparison and filters (`?save=1`).
import { useEffect, useState } from "preact/hooks";
import {
  get,
  post,
  put,
  type AlertRule,
  type Channel,
  type Delivery,
  type ReportConfig,
  type ReportRun,
  type ReportSummary,
  type ReportType,
  type SavedReport,
  type Subscription,
} from "../api";
import { ActiveToggle, DeleteButton } from "../components/RowActions";
import { Card, Dialog, Empty, ErrorBox, Field, FormError, SkeletonRows, Spinner } from "../components/ui";
import { fmtFraction, fmtInt } from "../format";
import { useAction, useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { FILTER_LABELS, type View } from "../view";
import type { DashCtx } from "./Overview";

const MAX_REPORTS = 100;
const TYPES: { id: ReportType; label: string }[] = [
  { id: "stats", label: "Headline numbers" },
  { id: "pageviews", label: "Pageviews over time" },
  { id: "metrics", label: "Breakdown (top 25)" },
  { id: "events", label: "Custom events" },
];
const METRIC_TYPES = ["page", "entry_page", "exit_page", "referrer", "channel", "utm_source", "utm_medium", "utm_campaign", "country", "region", "city", "browser", "os", "device", "screen", "event_name"];
const PRESET_DAYS: Record<string, number> = { today: 1, "24h": 2, "7d": 7, "30d": 30, "90d": 90, "12m": 365 };
// Report configs take the view's filters except language and goal (API.md §1.13).
const CONFIG_FILTERS = Object.keys(FILTER_LABELS).filter((k) => k !== "filter_language" && k !== "filter_goal");

type Editing = { mode: "create"; config: ReportConfig } | { mode: "edit"; report: SavedReport };

/** The config of what the overview shows: its range (relative for the presets), comparison and filters. */
export function configFromView(view: View, timezone: string): ReportConfig {
  const config: ReportConfig = { version: 1, report_type: "stats", date_range_type: "relative", relative_days: 30, timezone };
  if (view.preset === "custom") Object.assign(config, { date_range_type: "absolute", start_date: view.start, end_date: view.end });
  else config.relative_days = PRESET_DAYS[view.preset] ?? 30;
  if (view.compare !== "none") {
    config.compare_mode = view.compare;
    if (view.compare === "custom") Object.assign(config, { compare_start_date: view.compareStart, compare_end_date: view.compareEnd });
  }
  for (const [key, value] of view.filters) if (CONFIG_FILTERS.includes(key)) config[key as `filter_${string}`] = value;
  return config;
}

export function ReportsPage({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}`;
  const list = useApi<{ data: ReportSummary[] }>(`${base}/reports`);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [run, setRun] = useState<{ name: string; result: ReportRun } | null>(null);
  const [historyTick, setHistoryTick] = useState(0);
  const reports = list.data?.data;
  useEffect(() => {
    if (ctx.query.get("save") !== "1") return;
    setEditing({ mode: "create", config: configFromView(ctx.view, ctx.site.timezone) });
    navigate(location.pathname + withQuery(ctx.query, { save: null }), { replace: true });
  }, [ctx.query.get("save")]);
  const edit = useAction(async (id: string) => setEditing({ mode: "edit", report: (await get<{ data: SavedReport }>(`${base}/reports/${encodeURIComponent(id)}`)).data }));
  return (
    <div class="page reports" data-testid="reports">
      <Card
        title="Saved reports"
        testid="report-list"
        actions={
          <button
            type="button"
            class="btn small primary"
            data-testid="new-report"
            disabled={!!reports && reports.length >= MAX_REPORTS}
            onClick={() => setEditing({ mode: "create", config: configFromView(ctx.view, ctx.site.timezone) })}
          >
            New report
          </button>
        }
      >
        {!reports && list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !reports ? (
          <SkeletonRows rows={2} />
        ) : reports.length === 0 ? (
          <Empty>
            <p>A saved report keeps a view — numbers, a series, a breakdown or your custom events, over a range, with filters — to run again or to receive by e-mail or webhook.</p>
            <p>Use “Save this view” on the overview, or “New report”.</p>
          </Empty>
        ) : (
          <table class="data-table" data-testid="report-table">
            <thead>
              <tr>
                <th>Report</th>
                <th>Shows</th>
                <th>Last run</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr key={r.id} data-testid="report-row" data-report-id={r.id}>
                  <td>
                    {r.name}
                    {r.description && <div class="muted small">{r.description}</div>}
                  </td>
                  <td class="muted">{TYPES.find((t) => t.id === r.report_type)?.label}</td>
                  <td class="muted">{r.last_run_at ? `${r.last_run_at.slice(0, 16)} UTC` : "never"}</td>
                  <td class="row-actions">
                    <RunButton url={`${base}/reports/${encodeURIComponent(r.id)}/run`} onRun={(result) => { setRun({ name: r.name, result }); list.reload(); }} />
                    <button type="button" class="btn small ghost" title={edit.error?.message} onClick={() => void edit.run(r.id)}>
                      Edit
                    </button>
                    <DeleteButton url={`${base}/reports/${encodeURIComponent(r.id)}`} what={`the report "${r.name}" and its subscriptions`} onDeleted={() => { list.reload(); setHistoryTick((n) => n + 1); }} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {run && (
        <Card title={`${run.name} — ran ${run.result.ran_at.slice(0, 16).replace("T", " ")} UTC`} testid="report-result">
          <ResultView result={run.result} />
        </Card>
      )}
      {reports && reports.length > 0 && <SubscriptionsCard base={base} reports={reports} timezone={ctx.site.timezone} onDelivered={() => setHistoryTick((n) => n + 1)} />}
      <AlertsCard base={base} onDelivered={() => setHistoryTick((n) => n + 1)} />
      <HistoryCard base={base} tick={historyTick} />
      {editing && (
        <Dialog title={editing.mode === "edit" ? "Edit report" : "New report"} onClose={() => setEditing(null)} testid="report-dialog">
          <ReportForm
            base={base}
            report={editing.mode === "edit" ? editing.report : undefined}
            initial={editing.mode === "edit" ? editing.report.config : editing.config}
            onSaved={() => {
              setEditing(null);
              list.reload();
            }}
            onCancel={() => setEditing(null)}
          />
        </Dialog>
      )}
    </div>
  );
}

function RunButton({ url, onRun }: { url: string; onRun: (result: ReportRun) => void }) {
  const action = useAction(async () => onRun((await post<{ data: ReportRun }>(url)).data));
  return (
    <button type="button" class="btn small" data-testid="run-report" disabled={action.busy} title={action.error?.message} onClick={() => void action.run()}>
      {action.busy ? <Spinner /> : "Run"}
    </button>
  );
}

function ReportForm({ base, report, initial, onSaved, onCancel }: { base: string; report?: SavedReport; initial: ReportConfig; onSaved: () => void; onCancel: () => void }) {
  const [name, setName] = useState(report?.name ?? "");
  const [description, setDescription] = useState(report?.description ?? "");
  const [config, setConfig] = useState<ReportConfig>(initial);
  const [preview, setPreview] = useState<ReportRun | null>(null);
  const set = (change: Partial<ReportConfig>) => {
    setConfig({ ...config, ...change });
    setPreview(null);
  };
  const filters = Object.entries(config).filter(([k, v]) => k.startsWith("filter_") && v) as [string, string][];
  const save = useAction(async () => {
    const body = { name, description: description.trim() ? description : null, config };
    if (report) await put(`${base}/reports/${encodeURIComponent(report.id)}`, body);
    else await post(`${base}/reports`, body);
    onSaved();
  });
  const previewAction = useAction(async () => setPreview((await post<{ data: ReportRun }>(`${base}/reports/preview`, config)).data));
  const error = save.error ?? previewAction.error;
  return (
    <form
      class="form report-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <Field id="report-name" label="Name">
        <input id="report-name" value={name} autoFocus placeholder="e.g. Weekly overview" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="report-description" label="Description (optional)">
        <input id="report-description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
      </Field>
      <Field id="report-type" label="Shows">
        <select id="report-type" value={config.report_type} onChange={(e) => set({ report_type: (e.target as HTMLSelectElement).value as ReportType })}>
          {TYPES.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
        </select>
      </Field>
      {config.report_type === "metrics" && (
        <Field id="report-metric" label="Breakdown by">
          <select id="report-metric" value={config.metric_type ?? ""} onChange={(e) => set({ metric_type: (e.target as HTMLSelectElement).value || null })}>
            <option value="">choose…</option>
            {METRIC_TYPES.map((m) => (
              <option key={m} value={m}>
                {m.replace("_", " ")}
              </option>
            ))}
          </select>
        </Field>
      )}
      <div class="field">
        <label for="report-range">Range</label>
        <div class="inline-fields">
          <select id="report-range" value={config.date_range_type} onChange={(e) => set({ date_range_type: (e.target as HTMLSelectElement).value as "relative" | "absolute" })}>
            <option value="relative">the last … days</option>
            <option value="absolute">fixed dates</option>
          </select>
          {config.date_range_type === "relative" ? (
            <input aria-label="Days" type="number" min="1" max="365" value={config.relative_days ?? 30} onInput={(e) => set({ relative_days: Number((e.target as HTMLInputElement).value) })} />
          ) : (
            <>
              <input aria-label="Start date" type="date" value={config.start_date ?? ""} onInput={(e) => set({ start_date: (e.target as HTMLInputElement).value })} />
              <input aria-label="End date" type="date" value={config.end_date ?? ""} onInput={(e) => set({ end_date: (e.target as HTMLInputElement).value })} />
            </>
          )}
        </div>
      </div>
      <Field id="report-compare" label="Compare with">
        <select id="report-compare" value={config.compare_mode ?? "none"} onChange={(e) => set({ compare_mode: (e.target as HTMLSelectElement).value })}>
          <option value="none">nothing</option>
          <option value="previous_period">the previous period</option>
          <option value="previous_year">the previous year</option>
        </select>
      </Field>
      <Field id="report-timezone" label="Time zone" hint="Days start at midnight here; blank = the website's.">
        <input id="report-timezone" value={config.timezone ?? ""} onInput={(e) => set({ timezone: (e.target as HTMLInputElement).value })} />
      </Field>
      {filters.length > 0 && (
        <div class="field" data-testid="report-filters">
          <label>Filters</label>
          <div>
            {filters.map(([k, v]) => (
              <span class="badge" key={k}>
                {FILTER_LABELS[k] ?? k}: {v}{" "}
                <button type="button" class="btn small ghost" aria-label={`Remove ${FILTER_LABELS[k] ?? k}`} onClick={() => set({ [k]: null } as Partial<ReportConfig>)}>
                  ✕
                </button>
              </span>
            ))}
          </div>
        </div>
      )}
      {error && (
        <p class="form-error" role="alert" data-testid="report-error">
          {error.field ? `${error.field}: ` : ""}
          {error.message}
        </p>
      )}
      {preview && (
        <div data-testid="report-preview" class="notice">
          <ResultView result={preview} />
        </div>
      )}
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={save.busy}>
          {save.busy ? <Spinner /> : report ? "Save report" : "Create report"}
        </button>
        <button type="button" class="btn" data-testid="preview-report" disabled={previewAction.busy} onClick={() => void previewAction.run()}>
          {previewAction.busy ? <Spinner /> : "Preview"}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

type Row = Record<string, string | number | null>;

/** A report's result: the headline numbers, or its rows. */
function ResultView({ result }: { result: ReportRun }) {
  const data = result.data as Record<string, unknown>;
  switch (result.config.report_type) {
    case "stats":
      return (
        <dl class="result-stats" data-testid="result-stats">
          <dt>Pageviews</dt>
          <dd data-testid="result-pageviews">{fmtInt(data.pageviews as number)}</dd>
          <dt>Visitors</dt>
          <dd data-testid="result-visitors">{fmtInt(data.visitors as number)}</dd>
          <dt>Sessions</dt>
          <dd>{fmtInt(data.sessions as number)}</dd>
          <dt>Bounce rate</dt>
          <dd>{fmtFraction(data.bounce_rate as number)}</dd>
        </dl>
      );
    case "pageviews": {
      const body = ("compare" in data && "data" in data ? data.data : data) as { series: Row[] };
      return <RowsTable columns={["date", "pageviews", "visitors"]} rows={body.series} />;
    }
    case "metrics":
      return <RowsTable columns={["value", "visitors", "pageviews"]} rows={data.rows as Row[]} />;
    default:
      return <RowsTable columns={["event_name", "count", "visitors"]} rows={data.rows as Row[]} />;
  }
}

const COLUMN_LABELS: Record<string, string> = { date: "Period", value: "Value", event_name: "Event", visitors: "Visitors", pageviews: "Pageviews", count: "Count" };

function RowsTable({ columns, rows }: { columns: string[]; rows: Row[] }) {
  if (rows.length === 0) return <Empty>Nothing in this range.</Empty>;
  return (
    <table class="data-table" data-testid="result-rows">
      <thead>
        <tr>
          {columns.map((c, i) => (
            <th key={c} class={i ? "num" : undefined}>
              {COLUMN_LABELS[c] ?? c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <td key={c} class={typeof row[c] === "number" ? "num" : undefined}>
                {typeof row[c] === "number" ? fmtInt(row[c] as number) : row[c]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "Send test": runs at once and says what happened, the reason included. */
function SendTest({ url, onDelivered }: { url: string; onDelivered: () => void }) {
  const [delivery, setDelivery] = useState<Delivery | null>(null);
  const action = useAction(async () => {
    setDelivery((await post<{ data: Delivery }>(url)).data);
    onDelivered();
  });
  return (
    <span class="send-test">
      <button type="button" class="btn small" data-testid="send-test" disabled={action.busy} onClick={() => void action.run()}>
        {action.busy ? <Spinner /> : "Send test"}
      </button>
      {delivery && (
        <span data-testid="test-result" class={delivery.status === "sent" ? "ok-text" : "form-error"}>
          {delivery.status === "sent" ? "Sent" : `Failed: ${delivery.error_message}`}
        </span>
      )}
      {action.error && <FormError error={action.error} />}
    </span>
  );
}

/** The webhook signing secret, shown once when the website's first webhook is made. */
function SecretNotice({ secret }: { secret: string }) {
  return (
    <div class="notice" data-testid="webhook-secret">
      Webhooks of this website are signed with <code>{secret}</code> (header <code>X-Sparklytics-Signature: sha256=…</code>, an HMAC-SHA256 of the body).
      Copy it now: it is not shown again.
    </div>
  );
}

function TargetFields({ channel, target, onChannel, onTarget }: { channel: Channel; target: string; onChannel: (c: Channel) => void; onTarget: (t: string) => void }) {
  return (
    <div class="field">
      <label for="target">Send to</label>
      <div class="inline-fields">
        <select aria-label="Channel" value={channel} onChange={(e) => onChannel((e.target as HTMLSelectElement).value as Channel)}>
          <option value="email">e-mail</option>
          <option value="webhook">webhook</option>
        </select>
        <input id="target" value={target} placeholder={channel === "email" ? "you@example.com" : "https://hooks.example.com/sparklytics"} onInput={(e) => onTarget((e.target as HTMLInputElement).value)} />
      </div>
    </div>
  );
}

function SubscriptionsCard({ base, reports, timezone, onDelivered }: { base: string; reports: ReportSummary[]; timezone: string; onDelivered: () => void }) {
  const list = useApi<{ data: Subscription[] }>(`${base}/subscriptions`);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const subs = list.data?.data;
  const reportName = (id: string) => reports.find((r) => r.id === id)?.name ?? id;
  return (
    <Card
      title="Subscriptions"
      testid="subscriptions"
      actions={
        <button type="button" class="btn small" data-testid="new-subscription" onClick={() => setAdding(true)}>
          New subscription
        </button>
      }
    >
      {secret && <SecretNotice secret={secret} />}
      {!subs ? (
        list.error ? <ErrorBox error={list.error} retry={list.reload} /> : <SkeletonRows rows={1} />
      ) : subs.length === 0 ? (
        <Empty>Receive a report by e-mail or webhook, daily, weekly or monthly.</Empty>
      ) : (
        <table class="data-table" data-testid="subscription-table">
          <tbody>
            {subs.map((s) => (
              <tr key={s.id} data-testid="subscription-row">
                <td>
                  {reportName(s.report_id)} <span class="badge">{s.schedule}</span> {!s.is_active && <span class="badge alt">paused</span>}
                  <div class="muted small">
                    {s.channel} → {s.target} · next {s.next_run_at.slice(0, 16)} UTC ({s.timezone})
                  </div>
                </td>
                <td class="row-actions">
                  <SendTest url={`${base}/subscriptions/${s.id}/test`} onDelivered={onDelivered} />
                  <ActiveToggle url={`${base}/subscriptions/${s.id}`} active={s.is_active} labels={["Pause", "Resume"]} onChanged={list.reload} />
                  <DeleteButton url={`${base}/subscriptions/${s.id}`} what="this subscription" onDeleted={list.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {adding && (
        <Dialog title="New subscription" onClose={() => setAdding(false)} testid="subscription-dialog">
          <SubscriptionForm
            base={base}
            reports={reports}
            timezone={timezone}
            onSaved={(sub) => {
              setAdding(false);
              if (sub.webhook_secret) setSecret(sub.webhook_secret);
              list.reload();
            }}
            onCancel={() => setAdding(false)}
          />
        </Dialog>
      )}
    </Card>
  );
}

function SubscriptionForm({ base, reports, timezone, onSaved, onCancel }: { base: string; reports: ReportSummary[]; timezone: string; onSaved: (s: Subscription) => void; onCancel: () => void }) {
  const [reportId, setReportId] = useState(reports[0].id);
  const [schedule, setSchedule] = useState("weekly");
  const [tz, setTz] = useState(timezone);
  const [channel, setChannel] = useState<Channel>("email");
  const [target, setTarget] = useState("");
  const save = useAction(async () => onSaved((await post<{ data: Subscription }>(`${base}/subscriptions`, { report_id: reportId, schedule, timezone: tz, channel, target })).data));
  return (
    <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void save.run(); }}>
      <Field id="sub-report" label="Report">
        <select id="sub-report" value={reportId} onChange={(e) => setReportId((e.target as HTMLSelectElement).value)}>
          {reports.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      <Field id="sub-schedule" label="Every">
        <select id="sub-schedule" value={schedule} onChange={(e) => setSchedule((e.target as HTMLSelectElement).value)}>
          <option value="daily">day</option>
          <option value="weekly">week</option>
          <option value="monthly">month</option>
        </select>
      </Field>
      <Field id="sub-timezone" label="Time zone" hint="The first delivery is one day, week or month from now, at this time of day in this zone.">
        <input id="sub-timezone" value={tz} onInput={(e) => setTz((e.target as HTMLInputElement).value)} />
      </Field>
      <TargetFields channel={channel} target={target} onChannel={setChannel} onTarget={setTarget} />
      {save.error && (
        <p class="form-error" role="alert" data-testid="subscription-error">
          {save.error.message}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={save.busy}>
          {save.busy ? <Spinner /> : "Subscribe"}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const CONDITIONS: Record<AlertRule["condition_type"], string> = {
  spike: "spikes (z-score ≥)",
  drop: "drops (z-score ≤ −)",
  threshold_above: "is at least",
  threshold_below: "is at most",
};

function AlertsCard({ base, onDelivered }: { base: string; onDelivered: () => void }) {
  const list = useApi<{ data: AlertRule[] }>(`${base}/alerts`);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const alerts = list.data?.data;
  return (
    <Card
      title="Alerts"
      testid="alerts"
      actions={
        <button type="button" class="btn small" data-testid="new-alert" onClick={() => setAdding(true)}>
          New alert
        </button>
      }
    >
      {secret && <SecretNotice secret={secret} />}
      {!alerts ? (
        list.error ? <ErrorBox error={list.error} retry={list.reload} /> : <SkeletonRows rows={1} />
      ) : alerts.length === 0 ? (
        <Empty>Get told when today's pageviews, visitors or conversions spike, drop or cross a line — at most once a day.</Empty>
      ) : (
        <table class="data-table" data-testid="alert-table">
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id} data-testid="alert-row">
                <td>
                  {a.name} {!a.is_active && <span class="badge alt">paused</span>}
                  <div class="muted small">
                    {a.metric.replace("_", " ")} {CONDITIONS[a.condition_type]} {a.threshold_value} · over {a.lookback_days} days · {a.channel} → {a.target}
                  </div>
                </td>
                <td class="row-actions">
                  <SendTest url={`${base}/alerts/${a.id}/test`} onDelivered={onDelivered} />
                  <ActiveToggle url={`${base}/alerts/${a.id}`} active={a.is_active} labels={["Pause", "Resume"]} onChanged={list.reload} />
                  <DeleteButton url={`${base}/alerts/${a.id}`} what={`the alert "${a.name}"`} onDeleted={list.reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {adding && (
        <Dialog title="New alert" onClose={() => setAdding(false)} testid="alert-dialog">
          <AlertForm
            base={base}
            onSaved={(alert) => {
              setAdding(false);
              if (alert.webhook_secret) setSecret(alert.webhook_secret);
              list.reload();
            }}
            onCancel={() => setAdding(false)}
          />
        </Dialog>
      )}
    </Card>
  );
}

function AlertForm({ base, onSaved, onCancel }: { base: string; onSaved: (a: AlertRule) => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [metric, setMetric] = useState("pageviews");
  const [condition, setCondition] = useState("spike");
  const [threshold, setThreshold] = useState("3");
  const [lookback, setLookback] = useState("7");
  const [channel, setChannel] = useState<Channel>("email");
  const [target, setTarget] = useState("");
  const save = useAction(async () =>
    onSaved(
      (
        await post<{ data: AlertRule }>(`${base}/alerts`, {
          name,
          metric,
          condition_type: condition,
          threshold_value: Number(threshold),
          lookback_days: Number(lookback),
          channel,
          target,
        })
      ).data,
    ),
  );
  return (
    <form class="form" noValidate onSubmit={(e) => { e.preventDefault(); void save.run(); }}>
      <Field id="alert-name" label="Name">
        <input id="alert-name" value={name} autoFocus placeholder="e.g. Traffic spike" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <div class="field">
        <label for="alert-metric">When today's</label>
        <div class="inline-fields">
          <select id="alert-metric" value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value)}>
            <option value="pageviews">pageviews</option>
            <option value="visitors">visitors</option>
            <option value="conversions">conversions</option>
            <option value="conversion_rate">conversion rate</option>
          </select>
          <select aria-label="Condition" value={condition} onChange={(e) => setCondition((e.target as HTMLSelectElement).value)}>
            {Object.entries(CONDITIONS).map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
          <input aria-label="Threshold" type="number" step="any" value={threshold} onInput={(e) => setThreshold((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      <Field id="alert-lookback" label="Baseline days" hint="Spikes and drops compare today with this many days before (1–30).">
        <input id="alert-lookback" type="number" min="1" max="30" value={lookback} onInput={(e) => setLookback((e.target as HTMLInputElement).value)} />
      </Field>
      <TargetFields channel={channel} target={target} onChannel={setChannel} onTarget={setTarget} />
      {save.error && (
        <p class="form-error" role="alert" data-testid="alert-error">
          {save.error.message}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={save.busy}>
          {save.busy ? <Spinner /> : "Create alert"}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function HistoryCard({ base, tick }: { base: string; tick: number }) {
  const history = useApi<{ data: Delivery[] }>(`${base}/notifications/history?limit=50`);
  useEffect(() => {
    if (tick) history.reload();
  }, [tick]);
  const rows = history.data?.data;
  return (
    <Card title="Delivery history" testid="history">
      {!rows ? (
        history.error ? <ErrorBox error={history.error} retry={history.reload} /> : <SkeletonRows rows={1} />
      ) : rows.length === 0 ? (
        <Empty>Nothing delivered yet.</Empty>
      ) : (
        <table class="data-table" data-testid="history-table">
          <thead>
            <tr>
              <th>When (UTC)</th>
              <th>What</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-testid="history-row">
                <td>{d.delivered_at.slice(0, 19)}</td>
                <td class="muted">
                  {d.source_type}
                  {d.idempotency_key.startsWith("test:") ? " (test)" : ""}
                </td>
                <td class={d.status === "sent" ? "ok-text" : "form-error"}>{d.status === "sent" ? "sent" : `failed: ${d.error_message}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
