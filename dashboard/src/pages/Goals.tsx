// Goals (API.md §1.8): the website's goals with create / edit / delete (the API's 422s
// shown at their field), and attribution: which channels earn a goal's conversions and
// revenue, first or last touch, as a table and a bar per channel, over the toolbar's
// range and filters. The overview shows the conversions panel (GoalConversionsCard).
import { useState } from "preact/hooks";
import {
  post,
  put,
  type Attribution,
  type AttributionModel,
  type Goal,
  type GoalConversions,
  type MatchOperator,
  type StepType,
  type ValueMode,
} from "../api";
import { DeleteButton } from "../components/RowActions";
import { Card, CodeBlock, Dialog, Empty, ErrorBox, Field, FormError, SkeletonRows, Spinner } from "../components/ui";
import { fmtFraction, fmtInt, fmtMoney } from "../format";
import { POLL_REPORTS, useAction, useApi } from "../hooks";
import { Link, navigate, withQuery } from "../router";
import { apiParams, viewQuery } from "../view";
import type { DashCtx } from "./Overview";

const MAX_GOALS = 50; // per website (API limit)
const TRACK_EXAMPLE = "sparklytics.track('signup')";

type Editing = { mode: "create" } | { mode: "edit"; goal: Goal };

export function GoalsPage({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}/goals`;
  const list = useApi<{ data: Goal[] }>(base);
  const [editing, setEditing] = useState<Editing | null>(null);
  const goals = list.data?.data;
  return (
    <div class="page goals" data-testid="goals">
      <Card
        title="Goals"
        testid="goal-list"
        actions={
          <button type="button" class="btn small primary" data-testid="new-goal" onClick={() => setEditing({ mode: "create" })} disabled={!!goals && goals.length >= MAX_GOALS}>
            New goal
          </button>
        }
      >
        {!goals && list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !goals ? (
          <SkeletonRows rows={2} />
        ) : goals.length === 0 ? (
          <GoalsExplained />
        ) : (
          <table class="data-table" data-testid="goal-table">
            <thead>
              <tr>
                <th>Goal</th>
                <th>Matches</th>
                <th>Value</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {goals.map((g) => (
                <tr key={g.id} data-testid="goal-row" data-goal-id={g.id}>
                  <td>{g.name}</td>
                  <td class="muted">
                    {g.goal_type === "event" ? "Event" : "Page"} {g.match_operator} <code>{g.match_value}</code>
                  </td>
                  <td class="muted">{valueLabel(g)}</td>
                  <td class="row-actions">
                    <button type="button" class="btn small ghost" onClick={() => setEditing({ mode: "edit", goal: g })}>
                      Edit
                    </button>
                    <DeleteButton url={`${base}/${encodeURIComponent(g.id)}`} what={`the goal "${g.name}"`} note="Its conversions are computed from your events, which stay." onDeleted={list.reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {goals && goals.length >= MAX_GOALS && <p class="muted small">A website can have at most {MAX_GOALS} goals: delete one to add another.</p>}
      </Card>
      {goals && goals.length > 0 && <AttributionCard ctx={ctx} goals={goals} />}
      {editing && (
        <Dialog title={editing.mode === "edit" ? "Edit goal" : "New goal"} onClose={() => setEditing(null)} testid="goal-dialog">
          <GoalForm
            base={base}
            goal={editing.mode === "edit" ? editing.goal : undefined}
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

function valueLabel(g: Goal): string {
  if (g.value_mode === "fixed") return fmtMoney(g.fixed_value, g.currency);
  if (g.value_mode === "event_property") return `property "${g.value_property_key}" (${g.currency})`;
  return "–";
}

/** The empty state: what a goal is and how to send the event one can count. */
function GoalsExplained() {
  return (
    <Empty>
      <p>
        A goal counts the visitors who do something that matters: view a page (<code>/thank-you</code>) or send a custom event. Goals are computed
        from your data when you look, so a new goal counts past visits too.
      </p>
      <p>Send an event from your site with the tracker:</p>
      <CodeBlock code={TRACK_EXAMPLE} testid="track-example" />
    </Empty>
  );
}

function GoalForm({ base, goal, onSaved, onCancel }: { base: string; goal?: Goal; onSaved: () => void; onCancel: () => void }) {
  const [name, setName] = useState(goal?.name ?? "");
  const [goalType, setGoalType] = useState<StepType>(goal?.goal_type ?? "event");
  const [operator, setOperator] = useState<MatchOperator>(goal?.match_operator ?? "equals");
  const [value, setValue] = useState(goal?.match_value ?? "");
  const [valueMode, setValueMode] = useState<ValueMode>(goal?.value_mode ?? "none");
  const [fixed, setFixed] = useState(goal?.fixed_value != null ? String(goal.fixed_value) : "");
  const [property, setProperty] = useState(goal?.value_property_key ?? "");
  const [currency, setCurrency] = useState(goal?.currency ?? "USD");
  const save = useAction(async () => {
    const body: Record<string, unknown> = { name, match_value: value, match_operator: operator, value_mode: valueMode, currency };
    if (valueMode === "fixed") body.fixed_value = fixed.trim() === "" ? null : Number(fixed);
    if (valueMode === "event_property") body.value_property_key = property;
    if (goal) await put(`${base}/${encodeURIComponent(goal.id)}`, body);
    else await post(base, { ...body, goal_type: goalType });
    onSaved();
  });
  const fieldError = (field: string) =>
    save.error && "field" in save.error && save.error.field === field ? (
      <p class="form-error" role="alert" data-testid={`error-${field}`}>
        {save.error.message}
      </p>
    ) : null;
  const otherError = save.error && !["name", "match_value", "fixed_value", "value_property_key", "currency"].includes((save.error as { field?: string }).field ?? "");
  return (
    <form
      class="form goal-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <Field id="goal-name" label="Name">
        <input id="goal-name" value={name} autoFocus placeholder="e.g. Signup" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      {fieldError("name")}
      <div class="field">
        <label for="goal-type">Converts on</label>
        <select id="goal-type" value={goalType} disabled={!!goal} onChange={(e) => setGoalType((e.target as HTMLSelectElement).value as StepType)}>
          <option value="event">a custom event</option>
          <option value="page_view">a page view</option>
        </select>
        {goal && <p class="hint">The kind of a goal cannot change; make a new goal instead.</p>}
      </div>
      <div class="field">
        <label for="goal-value">{goalType === "event" ? "Event name" : "Page path or URL"}</label>
        <div class="inline-fields">
          <select aria-label="Match" value={operator} onChange={(e) => setOperator((e.target as HTMLSelectElement).value as MatchOperator)}>
            <option value="equals">equals</option>
            <option value="contains">contains</option>
          </select>
          <input
            id="goal-value"
            value={value}
            placeholder={goalType === "event" ? "signup" : "/thank-you"}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      {fieldError("match_value")}
      <div class="field">
        <label for="goal-value-mode">Value of a conversion</label>
        <select id="goal-value-mode" value={valueMode} onChange={(e) => setValueMode((e.target as HTMLSelectElement).value as ValueMode)}>
          <option value="none">none</option>
          <option value="fixed">a fixed amount</option>
          <option value="event_property">read from an event property</option>
        </select>
      </div>
      {valueMode === "fixed" && (
        <Field id="goal-fixed" label="Amount">
          <input id="goal-fixed" type="number" min="0" step="any" value={fixed} onInput={(e) => setFixed((e.target as HTMLInputElement).value)} />
        </Field>
      )}
      {fieldError("fixed_value")}
      {valueMode === "event_property" && (
        <Field id="goal-property" label="Property" hint="A top-level property holding a number, e.g. amount in sparklytics.track('purchase', {amount: 29}).">
          <input id="goal-property" value={property} placeholder="amount" onInput={(e) => setProperty((e.target as HTMLInputElement).value)} />
        </Field>
      )}
      {fieldError("value_property_key")}
      {valueMode !== "none" && (
        <Field id="goal-currency" label="Currency">
          <input id="goal-currency" value={currency} maxLength={8} onInput={(e) => setCurrency((e.target as HTMLInputElement).value)} />
        </Field>
      )}
      {fieldError("currency")}
      {otherError && <FormError error={save.error} />}
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={save.busy}>
          {save.busy ? <Spinner /> : goal ? "Save goal" : "Create goal"}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AttributionCard({ ctx, goals }: { ctx: DashCtx; goals: Goal[] }) {
  const chosen = goals.find((g) => g.id === ctx.query.get("goal")) ?? goals[0];
  const model = (ctx.query.get("model") === "first_touch" ? "first_touch" : "last_touch") as AttributionModel;
  const choose = (change: Record<string, string | null>) => navigate(location.pathname + withQuery(ctx.query, change));
  const url = `/api/websites/${ctx.site.id}/attribution?${apiParams(ctx.view, {}, { goal_id: chosen.id, model })}`;
  const res = useApi<{ data: Attribution }>(url, POLL_REPORTS);
  const data = res.data?.data;
  const most = data ? Math.max(1, ...data.rows.map((r) => r.conversions)) : 1;
  const currency = chosen.value_mode === "none" ? null : chosen.currency;
  return (
    <Card
      title="Attribution"
      testid="attribution"
      actions={
        <div class="inline-fields">
          <select aria-label="Goal" data-testid="attribution-goal" value={chosen.id} onChange={(e) => choose({ goal: (e.target as HTMLSelectElement).value })}>
            {goals.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
          <select aria-label="Model" data-testid="attribution-model" value={model} onChange={(e) => choose({ model: (e.target as HTMLSelectElement).value })}>
            <option value="last_touch">Last touch</option>
            <option value="first_touch">First touch</option>
          </select>
        </div>
      }
    >
      <p class="hint">
        Which source brought the visits that converted: the channel (<code>source / medium</code>) of the visit's {model === "first_touch" ? "first" : "latest"}{" "}
        referrer or UTM-tagged hit before each conversion; none is <code>(direct) / direct</code>.
      </p>
      {!data && res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : !data ? (
        <SkeletonRows rows={3} />
      ) : data.rows.length === 0 ? (
        <Empty>No conversions of this goal in the period.</Empty>
      ) : (
        <>
          <p data-testid="revenue-summary">
            <strong>{fmtInt(data.totals.conversions)}</strong> conversions
            {currency && (
              <>
                {" "}
                · <strong>{fmtMoney(data.totals.revenue, currency)}</strong> revenue
              </>
            )}
          </p>
          <table class="data-table" data-testid="attribution-table">
            <thead>
              <tr>
                <th>Channel</th>
                <th class="num">Conversions</th>
                {currency && <th class="num">Revenue</th>}
                <th class="num">Share</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((r) => (
                <tr key={r.channel} data-testid="attribution-row">
                  <td class="label-cell">
                    <span class="bar" style={{ width: `${(100 * r.conversions) / most}%` }} aria-hidden="true" />
                    <span class="label-text">{r.channel}</span>
                  </td>
                  <td class="num" data-value={r.conversions}>
                    {fmtInt(r.conversions)}
                  </td>
                  {currency && <td class="num">{fmtMoney(r.revenue, currency)}</td>}
                  <td class="num">{fmtFraction(r.share)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Card>
  );
}

/** The overview's Goal conversions panel; a click on a goal filters the dashboard to the
 * visits that converted on it (`filter_goal`). */
export function GoalConversionsCard({ ctx }: { ctx: DashCtx }) {
  const { site, view, query } = ctx;
  const res = useApi<{ data: GoalConversions }>(`/api/websites/${site.id}/goals/conversions?${apiParams(view, { compare: true })}`, POLL_REPORTS);
  const data = res.data?.data;
  const goalsHref = `/dashboard/${site.id}/goals${viewQuery(query)}`;
  return (
    <Card title="Goal conversions" testid="card-goals" actions={<Link href={goalsHref} class="btn small ghost">Manage goals</Link>}>
      {!data && res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : !data ? (
        <SkeletonRows rows={3} />
      ) : data.rows.length === 0 ? (
        <Empty>
          No goals yet. A goal counts the visitors who sign up, buy or reach a page. <Link href={goalsHref}>Add a goal</Link>.
        </Empty>
      ) : (
        <table class={`data-table ${res.stale ? "stale" : ""}`} data-testid="goal-conversions">
          <thead>
            <tr>
              <th>Goal</th>
              <th class="num">Uniques</th>
              <th class="num">Total</th>
              <th class="num">CR</th>
              <th class="num">Revenue</th>
            </tr>
          </thead>
          <tbody>
            {data.rows.map((r) => (
              <tr key={r.goal_id} data-testid="goal-conversion-row" data-goal-id={r.goal_id}>
                <td>
                  <button type="button" class="btn link" data-testid="goal-filter" title="Show only the visits that converted" onClick={() => navigate(location.pathname + withQuery(query, { filter_goal: r.goal_id }))}>
                    {r.name}
                  </button>
                </td>
                <td class="num" data-value={r.visitors}>
                  {fmtInt(r.visitors)}
                </td>
                <td class="num" data-value={r.conversions}>
                  {fmtInt(r.conversions)}
                </td>
                <td class="num" data-value={r.conversion_rate} title={`${r.prev_conversion_rate}% the period before`}>
                  {r.conversion_rate}% <RateChange points={r.conversion_rate_change} />
                </td>
                <td class="num">{r.revenue === null ? "–" : fmtMoney(r.revenue, r.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function RateChange({ points }: { points: number }) {
  if (Math.abs(points) < 0.05) return null;
  return <span class={`delta small ${points > 0 ? "good" : "bad"}`}>{points > 0 ? "▲" : "▼"} {Math.abs(points).toFixed(1)} pt</span>;
}
