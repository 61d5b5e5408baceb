// Funnels (API.md §1.9): the website's funnels as cards, the chosen one's results
// (`?funnel=<id>` in the URL; the newest funnel when none is chosen) as a bar per step
// with the sessions lost since the step before, and a builder dialog to create or edit
// one (2–8 steps). Results cover at most 90 days (API limit): longer ranges show their
// last 90 days, and the page says so.
import { useState } from "preact/hooks";
import {
  del,
  post,
  put,
  type Funnel,
  type FunnelResults,
  type FunnelStepInput,
  type FunnelSummary,
  type MatchOperator,
  type StepType,
} from "../api";
import { Card, Dialog, Empty, ErrorBox, FormError, SkeletonRows, Spinner } from "../components/ui";
import { fmtFraction, fmtInt } from "../format";
import { POLL_REPORTS, useAction, useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { apiParams, daysBetween } from "../view";
import type { DashCtx } from "./Overview";

const MAX_DAYS = 90;
const MIN_STEPS = 2;
const MAX_STEPS = 8;
const NAME_MAX = 100;
const VALUE_MAX = 500;
const LABEL_MAX = 120;
const MAX_FUNNELS = 20; // per website (API limit)

type Editing = { mode: "create" } | { mode: "edit"; id: string };

export function FunnelsPage({ ctx }: { ctx: DashCtx }) {
  const base = `/api/websites/${ctx.site.id}/funnels`;
  const list = useApi<{ data: FunnelSummary[] }>(base);
  const [editing, setEditing] = useState<Editing | null>(null);
  // Deleted here: hidden at once, before the list comes back without them.
  const [deletedIds, setDeletedIds] = useState<string[]>([]);
  const funnels = list.data?.data.filter((f) => !deletedIds.includes(f.id));
  const wanted = ctx.query.get("funnel");
  const selected = funnels?.find((f) => f.id === wanted) ?? (wanted ? undefined : funnels?.[0]);
  const choose = (id: string | null) => navigate(location.pathname + withQuery(ctx.query, { funnel: id }));
  const clamped = daysBetween(ctx.view.start, ctx.view.end) > MAX_DAYS;

  const saved = (funnel: Funnel) => {
    setEditing(null);
    list.reload();
    choose(funnel.id);
  };
  const deleted = (id: string) => {
    setDeletedIds((ids) => [...ids, id]);
    list.reload();
    choose(null);
  };

  return (
    <div class="page funnels" data-testid="funnels">
      <Card
        title="Funnels"
        testid="funnel-list"
        actions={
          <button type="button" class="btn small primary" onClick={() => setEditing({ mode: "create" })} disabled={!!funnels && funnels.length >= MAX_FUNNELS}>
            New funnel
          </button>
        }
      >
        {!funnels && list.error ? (
          <ErrorBox error={list.error} retry={list.reload} />
        ) : !funnels ? (
          <SkeletonRows rows={2} />
        ) : funnels.length === 0 ? (
          <Empty>
            No funnels yet. A funnel follows sessions through 2 to 8 steps, such as <code>/pricing</code> → <code>/signup</code> → the{" "}
            <code>signup</code> event, and shows where visitors drop off.
          </Empty>
        ) : (
          <ul class="funnel-cards">
            {funnels.map((f) => (
              <li key={f.id}>
                <button
                  type="button"
                  class={f.id === selected?.id ? "funnel-card selected" : "funnel-card"}
                  aria-pressed={f.id === selected?.id}
                  data-testid="funnel-card"
                  data-funnel-id={f.id}
                  onClick={() => choose(f.id)}
                >
                  <strong class="funnel-card-name">{f.name}</strong>
                  <span class="muted small">{f.step_count} steps</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {funnels && funnels.length >= MAX_FUNNELS && <p class="muted small">A website can have at most {MAX_FUNNELS} funnels: delete one to add another.</p>}
      </Card>
      {clamped && selected && <p class="notice">Funnel results cover at most 90 days: showing the last 90 days of the range.</p>}
      {wanted && funnels && !selected && !list.loading && (
        <Card title="Funnel not found">
          <p>This funnel does not exist any more.</p>
        </Card>
      )}
      {selected && (
        <FunnelResultsCard
          key={`${selected.id}@${selected.updated_at}`}
          ctx={ctx}
          funnel={selected}
          onEdit={() => setEditing({ mode: "edit", id: selected.id })}
          onDeleted={() => deleted(selected.id)}
        />
      )}
      {editing && <FunnelDialog base={base} editing={editing} onClose={() => setEditing(null)} onSaved={saved} />}
    </div>
  );
}

function FunnelResultsCard({ ctx, funnel, onEdit, onDeleted }: { ctx: DashCtx; funnel: FunnelSummary; onEdit: () => void; onDeleted: () => void }) {
  const url = `/api/websites/${ctx.site.id}/funnels/${encodeURIComponent(funnel.id)}`;
  const res = useApi<{ data: FunnelResults }>(`${url}/results?${apiParams(ctx.view, { maxDays: MAX_DAYS })}`, POLL_REPORTS);
  const remove = useAction(async () => {
    await del(url);
    onDeleted();
  });
  const data = res.data?.data;
  return (
    <Card
      title={funnel.name}
      testid="funnel-results"
      actions={
        <>
          <button type="button" class="btn small" onClick={onEdit}>
            Edit
          </button>
          <button
            type="button"
            class="btn small danger"
            disabled={remove.busy}
            onClick={() => {
              if (confirm(`Delete the funnel "${funnel.name}"? This cannot be undone.`)) void remove.run();
            }}
          >
            Delete
          </button>
        </>
      }
    >
      <FormError error={remove.error} />
      {!data && res.error ? (
        <ErrorBox error={res.error} retry={res.reload} />
      ) : !data ? (
        <SkeletonRows rows={funnel.step_count} />
      ) : (
        <div class={res.stale ? "stale" : ""} data-loaded={res.loading ? "0" : "1"}>
          {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
          <FunnelChart results={data} />
        </div>
      )}
    </Card>
  );
}

/**
 * One bar per step, as wide as its share of the sessions that entered step 1; between two
 * steps, the sessions that reached the first but not the second (the API's drop-off of
 * the first).
 */
export function FunnelChart({ results }: { results: FunnelResults }) {
  const last = results.steps[results.steps.length - 1];
  return (
    <>
      <div class="funnel-summary">
        <div>
          <span class="muted small">Entered</span>
          <strong data-testid="funnel-entered">{fmtInt(results.total_sessions_entered)}</strong>
        </div>
        <div>
          <span class="muted small">Completed</span>
          <strong data-testid="funnel-completed">{fmtInt(last?.sessions_reached ?? 0)}</strong>
        </div>
        <div>
          <span class="muted small">Conversion</span>
          <strong data-testid="funnel-conversion">{fmtFraction(results.final_conversion_rate)}</strong>
        </div>
      </div>
      {results.total_sessions_entered === 0 && <Empty>No session reached the first step in this period.</Empty>}
      <ol class="funnel-chart" aria-label="Sessions per step">
        {results.steps.map((s, i) => (
          <li key={s.step_order} class="funnel-step" data-testid="funnel-step" data-sessions={s.sessions_reached}>
            <div class="funnel-step-head">
              <span class="step-badge" aria-hidden="true">
                {s.step_order}
              </span>
              <span class="funnel-step-label" title={s.label}>
                <span class="sr-only">Step {s.step_order}: </span>
                {s.label}
              </span>
              <span class="num">
                <strong data-testid="funnel-step-sessions">{fmtInt(s.sessions_reached)}</strong>{" "}
                <span class="muted small">{s.sessions_reached === 1 ? "session" : "sessions"}</span>
              </span>
              <span class="num muted funnel-step-rate">{fmtFraction(s.conversion_rate_from_start)}</span>
            </div>
            <div class="funnel-track" aria-hidden="true">
              <div class="funnel-fill" style={{ width: `${Math.min(100, s.conversion_rate_from_start * 100)}%` }} />
            </div>
            {i < results.steps.length - 1 && (
              <p class="funnel-drop" data-testid="funnel-drop" data-count={s.drop_off_count}>
                <span aria-hidden="true">↓</span> {fmtFraction(results.steps[i + 1].conversion_rate_from_previous)} continued ·{" "}
                <span class="down">
                  {fmtInt(s.drop_off_count)} dropped off ({fmtFraction(s.drop_off_rate)})
                </span>
              </p>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}

// ---- builder -------------------------------------------------------------------------

interface DraftStep {
  key: number;
  step_type: StepType;
  match_operator: MatchOperator;
  match_value: string;
  label: string;
}

let nextKey = 1;
const blankStep = (step_type: StepType = "page_view"): DraftStep => ({ key: nextKey++, step_type, match_operator: "equals", match_value: "", label: "" });

function FunnelDialog({ base, editing, onClose, onSaved }: { base: string; editing: Editing; onClose: () => void; onSaved: (f: Funnel) => void }) {
  const existing = useApi<{ data: Funnel }>(editing.mode === "edit" ? `${base}/${encodeURIComponent(editing.id)}` : null);
  return (
    <Dialog title={editing.mode === "edit" ? "Edit funnel" : "New funnel"} onClose={onClose} testid="funnel-dialog">
      {editing.mode === "create" ? (
        <FunnelForm base={base} onSaved={onSaved} onCancel={onClose} />
      ) : existing.data ? (
        <FunnelForm base={base} funnel={existing.data.data} onSaved={onSaved} onCancel={onClose} />
      ) : existing.error ? (
        <ErrorBox error={existing.error} retry={existing.reload} />
      ) : (
        <SkeletonRows rows={4} />
      )}
    </Dialog>
  );
}

/** The body the API takes; a label equal to the match value is left out (the API's default). */
function stepBody(s: DraftStep): FunnelStepInput {
  const value = s.match_value.trim();
  const label = s.label.trim();
  return { step_type: s.step_type, match_operator: s.match_operator, match_value: value, ...(label && label !== value ? { label } : {}) };
}

function FunnelForm({ base, funnel, onSaved, onCancel }: { base: string; funnel?: Funnel; onSaved: (f: Funnel) => void; onCancel: () => void }) {
  const [name, setName] = useState(funnel?.name ?? "");
  const [steps, setSteps] = useState<DraftStep[]>(() =>
    funnel
      ? [...funnel.steps]
          .sort((a, b) => a.step_order - b.step_order)
          .map((s) => ({
            key: nextKey++,
            step_type: s.step_type,
            match_operator: s.match_operator,
            match_value: s.match_value,
            label: s.label === s.match_value ? "" : s.label,
          }))
      : [blankStep(), blankStep()],
  );
  const [problem, setProblem] = useState<string | null>(null);
  const save = useAction(async () => {
    const body = { name: name.trim(), steps: steps.map(stepBody) };
    const answer = funnel
      ? await put<{ data: Funnel }>(`${base}/${encodeURIComponent(funnel.id)}`, body)
      : await post<{ data: Funnel }>(base, body);
    onSaved(answer.data);
  });

  const update = (key: number, change: Partial<DraftStep>) => setSteps((all) => all.map((s) => (s.key === key ? { ...s, ...change } : s)));
  const focusLater = (id: string) => queueMicrotask(() => requestAnimationFrame(() => document.getElementById(id)?.focus()));
  // Moving or removing re-renders the rows: keep the keyboard focus on the same step
  // (on its other arrow when this one became disabled) or on its neighbour.
  const move = (index: number, by: number) => {
    const key = steps[index].key;
    const to = index + by;
    const edge = by < 0 ? to === 0 : to === steps.length - 1;
    setSteps((all) => {
      const next = [...all];
      [next[index], next[to]] = [next[to], next[index]];
      return next;
    });
    focusLater(`step-${key}-${(by < 0) !== edge ? "up" : "down"}`);
  };
  const remove = (index: number) => {
    const neighbour = steps[index + 1] ?? steps[index - 1];
    setSteps((all) => all.filter((_, i) => i !== index));
    focusLater(`step-${neighbour.key}-value`);
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setProblem("Give the funnel a name.");
    const blank = steps.findIndex((s) => !s.match_value.trim());
    if (blank >= 0) {
      focusLater(`step-${steps[blank].key}-value`);
      return setProblem(`Step ${blank + 1} needs a value to match.`);
    }
    setProblem(null);
    void save.run();
  };

  return (
    <form class="form funnel-form" onSubmit={submit} noValidate>
      <div class="field">
        <label for="funnel-name">Name</label>
        <input
          id="funnel-name"
          value={name}
          maxLength={NAME_MAX}
          placeholder="e.g. Signup"
          autoFocus
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
      </div>
      <ol class="step-editor">
        {steps.map((s, i) => {
          const id = `step-${s.key}`;
          return (
            <li key={s.key} class="step-row" data-testid="step-row">
              <fieldset>
                <legend>Step {i + 1}</legend>
                <div class="step-fields">
                  <label class="select-label">
                    <span class="sr-only">Step {i + 1} type</span>
                    <select value={s.step_type} onChange={(e) => update(s.key, { step_type: (e.target as HTMLSelectElement).value as StepType })}>
                      <option value="page_view">Page view</option>
                      <option value="event">Event</option>
                    </select>
                  </label>
                  <label class="select-label">
                    <span class="sr-only">Step {i + 1} match</span>
                    <select value={s.match_operator} onChange={(e) => update(s.key, { match_operator: (e.target as HTMLSelectElement).value as MatchOperator })}>
                      <option value="equals">equals</option>
                      <option value="contains">contains</option>
                    </select>
                  </label>
                  <input
                    id={`${id}-value`}
                    class="step-value"
                    aria-label={`Step ${i + 1} ${s.step_type === "event" ? "event name" : "page path"}`}
                    placeholder={s.step_type === "event" ? "Event name, e.g. signup" : "Path, e.g. /pricing"}
                    value={s.match_value}
                    maxLength={VALUE_MAX}
                    onInput={(e) => update(s.key, { match_value: (e.target as HTMLInputElement).value })}
                  />
                  <input
                    class="step-label"
                    aria-label={`Step ${i + 1} label (optional)`}
                    placeholder="Label (optional)"
                    value={s.label}
                    maxLength={LABEL_MAX}
                    onInput={(e) => update(s.key, { label: (e.target as HTMLInputElement).value })}
                  />
                  <div class="step-buttons">
                    <button
                      type="button"
                      id={`${id}-up`}
                      class="btn small ghost"
                      aria-label={`Move step ${i + 1} up`}
                      disabled={i === 0}
                      onClick={() => move(i, -1)}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      id={`${id}-down`}
                      class="btn small ghost"
                      aria-label={`Move step ${i + 1} down`}
                      disabled={i === steps.length - 1}
                      onClick={() => move(i, 1)}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      class="btn small ghost"
                      aria-label={`Remove step ${i + 1}`}
                      disabled={steps.length <= MIN_STEPS}
                      onClick={() => remove(i)}
                    >
                      ✕
                    </button>
                  </div>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <p class="hint">
        A page step matches the page's path (<code>/pricing</code>), or the whole URL when the value starts with <code>http</code>; an event step
        matches the event's name. Each step must happen after the one before, in the same session.
      </p>
      <div>
        <button
          type="button"
          class="btn small"
          disabled={steps.length >= MAX_STEPS}
          onClick={() => {
            const added = blankStep(steps[steps.length - 1]?.step_type);
            setSteps((all) => [...all, added]);
            focusLater(`step-${added.key}-value`);
          }}
        >
          + Add step
        </button>
        {steps.length >= MAX_STEPS && <span class="muted small"> A funnel has at most {MAX_STEPS} steps.</span>}
      </div>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <FormError error={save.error} />
      <div class="form-actions">
        <button type="submit" class="btn primary" disabled={save.busy}>
          {save.busy ? <Spinner /> : funnel ? "Save funnel" : "Create funnel"}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
