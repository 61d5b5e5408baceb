// Bots (API.md §1.12): how much traffic is bots and why (split, a bar per day, top
// reasons and user agents), the policy form, the allow- and blocklist, and a recompute
// of past events after a change, with its progress. IP rules act at ingest only: no IP
// is stored, so a recompute applies the user-agent rules and signals alone.
import { useEffect, useState } from "preact/hooks";
import { del, post, put, type BotEntry, type BotList, type BotMatchType, type BotMode, type BotPolicy, type BotReport, type RecomputeJob } from "../api";
import { Card, Empty, ErrorBox, FormError, SkeletonRows, Spinner } from "../components/ui";
import { fmtFraction, fmtInt } from "../format";
import { POLL_REPORTS, useAction, useApi } from "../hooks";
import { apiParams } from "../view";
import type { DashCtx } from "./Overview";

const MAX_REPORT_DAYS = 90;
const MAX_RECOMPUTE_DAYS = 30;

export function BotsPage({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}`;
  const [changed, setChanged] = useState(0);
  return (
    <div class="page bots" data-testid="bots">
      <BotReportCard url={`${base}/bot/report?${apiParams(ctx.view, { filters: false, bots: false, wholeDays: true, maxDays: MAX_REPORT_DAYS })}`} />
      <div class="grid-2">
        <PolicyCard url={`${base}/bot/policy`} />
        <RecomputeCard base={base} changed={changed} />
      </div>
      <div class="grid-2">
        <ListCard base={base} list="blocklist" onChange={() => setChanged((n) => n + 1)} />
        <ListCard base={base} list="allowlist" onChange={() => setChanged((n) => n + 1)} />
      </div>
    </div>
  );
}

function BotReportCard({ url }: { url: string }) {
  const res = useApi<{ data: BotReport }>(url, POLL_REPORTS);
  const data = res.data?.data;
  const most = data ? Math.max(1, ...data.timeseries.map((b) => b.bot_events + b.human_events)) : 1;
  return (
    <Card title="Bot traffic" testid="bot-report">
      {!data && res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : !data ? (
        <SkeletonRows rows={3} />
      ) : (
        <>
          <div class="stat-cards">
            <div class="stat-card" data-testid="bot-events">
              <div class="stat-label">Bot events</div>
              <div class="stat-value" data-value={data.split.bot_events}>{fmtInt(data.split.bot_events)}</div>
            </div>
            <div class="stat-card" data-testid="human-events">
              <div class="stat-label">Human events</div>
              <div class="stat-value" data-value={data.split.human_events}>{fmtInt(data.split.human_events)}</div>
            </div>
            <div class="stat-card" data-testid="bot-rate">
              <div class="stat-label">Bot share</div>
              <div class="stat-value" data-value={data.split.bot_rate}>{fmtFraction(data.split.bot_rate)}</div>
            </div>
          </div>
          {data.timeseries.length > 0 && (
            <div class="bot-bars" data-testid="bot-chart" role="img" aria-label="Bot and human events per day">
              {data.timeseries.map((b) => (
                <div class="bot-bar" key={b.period_start} title={`${b.period_start}: ${b.bot_events} bot, ${b.human_events} human events`}>
                  <span class="bot-bar-human" style={{ height: `${(100 * b.human_events) / most}%` }} />
                  <span class="bot-bar-bot" style={{ height: `${(100 * b.bot_events) / most}%` }} data-value={b.bot_events} />
                </div>
              ))}
            </div>
          )}
          <div class="grid-2">
            <TopTable title="Top reasons" rows={data.top_reasons.map((r) => [r.code, r.count])} testid="bot-reasons" />
            <TopTable title="Top bot user agents" rows={data.top_user_agents.map((r) => [r.value, r.count])} testid="bot-agents" />
          </div>
        </>
      )}
    </Card>
  );
}

function TopTable({ title, rows, testid }: { title: string; rows: [string, number][]; testid: string }) {
  return (
    <table class="data-table" data-testid={testid}>
      <thead>
        <tr>
          <th>{title}</th>
          <th class="num">Events</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={2} class="muted">
              None in this period
            </td>
          </tr>
        ) : (
          rows.map(([name, count]) => (
            <tr key={name}>
              <td class="label-cell">
                <span class="label-text">{name}</span>
              </td>
              <td class="num">{fmtInt(count)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

function PolicyCard({ url }: { url: string }) {
  const res = useApi<{ data: BotPolicy }>(url);
  const policy = res.data?.data;
  const [mode, setMode] = useState<BotMode | null>(null);
  const [threshold, setThreshold] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useAction(async () => {
    await put(url, { mode: mode ?? policy!.mode, threshold_score: Number(threshold ?? policy!.threshold_score) });
    setSaved(true);
    res.reload();
  });
  const edit = (change: () => void) => {
    setSaved(false);
    change();
  };
  if (!policy) return <Card title="Policy">{res.error ? <ErrorBox error={res.error} retry={res.reload} /> : <SkeletonRows rows={2} />}</Card>;
  return (
    <Card title="Policy" testid="bot-policy">
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <div class="field">
          <label for="bot-mode">Mode</label>
          <select id="bot-mode" value={mode ?? policy.mode} onChange={(e) => edit(() => setMode((e.target as HTMLSelectElement).value as BotMode))}>
            <option value="strict">Strict: flag more (threshold 60 when unset)</option>
            <option value="balanced">Balanced</option>
            <option value="off">Off: count bots in reports by default</option>
          </select>
        </div>
        <div class="field">
          <label for="bot-threshold">Threshold score (0–100)</label>
          <input id="bot-threshold" type="number" min="0" max="100" value={threshold ?? String(policy.threshold_score)} onInput={(e) => edit(() => setThreshold((e.target as HTMLInputElement).value))} />
          <p class="hint">An event scoring at least this is a bot. New events follow a change at once; past ones after a recompute.</p>
        </div>
        <FormError error={save.error} />
        <div class="form-actions">
          <button type="submit" class="btn primary" disabled={save.busy}>
            {save.busy ? <Spinner /> : "Save policy"}
          </button>
          {saved && !save.busy && (
            <span class="form-saved" role="status">
              Policy saved
            </span>
          )}
        </div>
      </form>
    </Card>
  );
}

const MATCH_LABELS: Record<BotMatchType, string> = { ua_contains: "User agent contains", ip_exact: "IP address", ip_cidr: "IP range (CIDR)" };

function ListCard({ base, list, onChange }: { base: string; list: BotList; onChange: () => void }) {
  const url = `${base}/bot/${list}`;
  const res = useApi<{ data: BotEntry[]; next_cursor: string | null }>(`${url}?limit=200`);
  const [matchType, setMatchType] = useState<BotMatchType>("ua_contains");
  const [value, setValue] = useState("");
  const add = useAction(async () => {
    await post(url, { match_type: matchType, match_value: value });
    setValue("");
    res.reload();
    onChange();
  });
  const remove = useAction(async (id: string) => {
    await del(`${url}/${encodeURIComponent(id)}`);
    res.reload();
    onChange();
  });
  const title = list === "blocklist" ? "Blocklist: always bots" : "Allowlist: never bots";
  return (
    <Card title={title} testid={list}>
      <form
        class="inline-fields"
        onSubmit={(e) => {
          e.preventDefault();
          void add.run();
        }}
      >
        <select aria-label={`${list} match type`} value={matchType} onChange={(e) => setMatchType((e.target as HTMLSelectElement).value as BotMatchType)}>
          {Object.entries(MATCH_LABELS).map(([id, label]) => (
            <option key={id} value={id}>
              {label}
            </option>
          ))}
        </select>
        <input aria-label={`${list} value`} value={value} placeholder={matchType === "ua_contains" ? "HeadlessChrome" : matchType === "ip_cidr" ? "203.0.113.0/24" : "203.0.113.7"} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        <button type="submit" class="btn small" disabled={add.busy}>
          Add
        </button>
      </form>
      <FormError error={add.error ?? remove.error} />
      {!res.data ? (
        <SkeletonRows rows={2} />
      ) : res.data.data.length === 0 ? (
        <Empty>No rules.</Empty>
      ) : (
        <table class="data-table">
          <tbody>
            {res.data.data.map((entry) => (
              <tr key={entry.id} data-testid={`${list}-entry`}>
                <td class="muted">{MATCH_LABELS[entry.match_type]}</td>
                <td>
                  <code>{entry.match_value}</code>
                </td>
                <td class="row-actions">
                  <button type="button" class="btn small ghost danger" aria-label={`Remove ${entry.match_value}`} onClick={() => void remove.run(entry.id)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="hint">IP rules apply to new events only: no IP address is ever stored.</p>
    </Card>
  );
}

function RecomputeCard({ base, changed }: { base: string; changed: number }) {
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useApi<{ data: RecomputeJob }>(jobId ? `${base}/bot/recompute/${jobId}` : null, 1000);
  const start = useAction(async () => {
    const answer = await post<{ job_id: string }>(`${base}/bot/recompute`, {});
    setJobId(answer.job_id);
  });
  const data = job.data?.data;
  const finished = data?.status === "success" || data?.status === "failed";
  useEffect(() => {
    if (finished) job.reload();
  }, [finished]);
  const percent = data && data.events_total ? Math.min(100, Math.round((100 * data.events_done) / data.events_total)) : 0;
  return (
    <Card title="Recompute" testid="bot-recompute">
      <p>
        Re-classify the last {MAX_RECOMPUTE_DAYS} days with the current policy and lists{changed ? " (you changed them)" : ""}. Sessions follow their events.
      </p>
      <button type="button" class="btn" disabled={start.busy || data?.status === "queued" || data?.status === "running"} onClick={() => void start.run()}>
        {start.busy ? <Spinner /> : "Recompute the last 30 days"}
      </button>
      <FormError error={start.error} />
      {data && (
        <p data-testid="recompute-status" data-status={data.status}>
          {data.status === "queued"
            ? "Queued…"
            : data.status === "running"
              ? `Running: ${percent}% done (${fmtInt(data.events_done)} of ${fmtInt(data.events_total)} events)`
              : data.status === "success"
                ? `Done: ${fmtInt(data.events_done)} events re-classified.`
                : `Failed: ${data.error_message}`}
        </p>
      )}
    </Card>
  );
}
