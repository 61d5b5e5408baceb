// Journey (API.md §1.10): from a page or an event (the anchor), the most common paths
// sessions took next, or took to get there. The controls live in the URL
// (`anchor_type`, `anchor_value`, `direction`, `max_depth`, the API's own names), so a
// journey can be bookmarked. Nothing is asked before an anchor is given: the API needs
// one, and a blank one is stopped in the form.
import { useEffect, useState } from "preact/hooks";
import type { EventRow, Journey, JourneyBranch, MetricsBody } from "../api";
import { Card, Empty, ErrorBox, SkeletonRows } from "../components/ui";
import { fmtFraction, fmtInt, shortUrl } from "../format";
import { POLL_REPORTS, useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { apiParams } from "../view";
import type { DashCtx } from "./Overview";

type AnchorType = "page" | "event";
type Direction = "next" | "previous";

const DEPTHS = [1, 2, 3, 4, 5];
const DEFAULT_DEPTH = 3;
const ANCHOR_MAX = 500;
const SUGGESTIONS = 50;

interface JourneyForm {
  type: AnchorType;
  value: string;
  direction: Direction;
  depth: number;
}

function readForm(query: URLSearchParams): JourneyForm {
  const depth = Number(query.get("max_depth"));
  return {
    type: query.get("anchor_type") === "event" ? "event" : "page",
    value: query.get("anchor_value") ?? "",
    direction: query.get("direction") === "previous" ? "previous" : "next",
    depth: DEPTHS.includes(depth) ? depth : DEFAULT_DEPTH,
  };
}

export function JourneyPage({ ctx }: { ctx: DashCtx }) {
  const applied = readForm(ctx.query);
  const anchor = applied.value.trim();
  const url = anchor
    ? `/api/websites/${ctx.site.id}/journey?${apiParams(ctx.view, { wholeDays: true }, {
        anchor_type: applied.type,
        anchor_value: anchor,
        direction: applied.direction,
        max_depth: applied.depth,
      })}`
    : null;
  const res = useApi<{ data: Journey }>(url, POLL_REPORTS);
  const apply = (form: JourneyForm) =>
    navigate(
      location.pathname +
        withQuery(ctx.query, {
          anchor_type: form.type,
          anchor_value: form.value.trim(),
          direction: form.direction,
          max_depth: form.depth === DEFAULT_DEPTH ? null : String(form.depth),
        }),
    );
  return (
    <div class="page journey" data-testid="journey">
      <Card title="Journey">
        <Controls ctx={ctx} applied={applied} onApply={apply} />
      </Card>
      {!url ? (
        <Card>
          <Empty>Choose a page or an event to see the paths sessions took after it, or before it.</Empty>
        </Card>
      ) : (
        <Card
          title={applied.direction === "next" ? <>After {shortUrl(anchor)}</> : <>Before {shortUrl(anchor)}</>}
          testid="journey-results"
        >
          {!res.data && res.error ? (
            <ErrorBox error={res.error} retry={res.reload} />
          ) : !res.data ? (
            <SkeletonRows rows={5} />
          ) : (
            <div class={res.stale ? "stale" : ""} data-loaded={res.loading ? "0" : "1"}>
              {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
              <Branches journey={res.data.data} />
            </div>
          )}
        </Card>
      )}
    </div>
  );
}

function Controls({ ctx, applied, onApply }: { ctx: DashCtx; applied: JourneyForm; onApply: (f: JourneyForm) => void }) {
  const [form, setForm] = useState(applied);
  const [problem, setProblem] = useState<string | null>(null);
  // Back/forward or a link changed the URL: show what is applied. (No remount, so a
  // select being changed with the arrow keys keeps its focus.)
  const appliedKey = `${applied.type}|${applied.value}|${applied.direction}|${applied.depth}`;
  useEffect(() => setForm(applied), [appliedKey]);
  const blank = !form.value.trim();
  const noun = form.type === "page" ? "page path" : "event name";
  // Selects apply at once when there is an anchor to show; the text applies on submit.
  const change = (patch: Partial<JourneyForm>) => {
    const next = { ...form, ...patch };
    setForm(next);
    if (next.value.trim()) onApply(next);
  };
  return (
    <form
      class="journey-form"
      data-testid="journey-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (blank) {
          setProblem(`Enter a ${noun} to start from.`);
          document.getElementById("journey-anchor")?.focus();
          return;
        }
        setProblem(null);
        onApply(form);
      }}
    >
      <label class="field">
        <span>Anchor</span>
        <select value={form.type} onChange={(e) => change({ type: (e.target as HTMLSelectElement).value as AnchorType })}>
          <option value="page">Page</option>
          <option value="event">Event</option>
        </select>
      </label>
      <div class="field anchor-field">
        <label for="journey-anchor">{form.type === "page" ? "Page path" : "Event name"}</label>
        <input
          id="journey-anchor"
          value={form.value}
          maxLength={ANCHOR_MAX}
          list="journey-suggestions"
          autoComplete="off"
          placeholder={form.type === "page" ? "/pricing" : "signup"}
          aria-invalid={!!problem}
          aria-describedby={problem ? "journey-problem" : undefined}
          onInput={(e) => {
            setForm({ ...form, value: (e.target as HTMLInputElement).value });
            setProblem(null);
          }}
        />
        <Suggestions ctx={ctx} type={form.type} />
      </div>
      <label class="field">
        <span>Direction</span>
        <select value={form.direction} onChange={(e) => change({ direction: (e.target as HTMLSelectElement).value as Direction })}>
          <option value="next">What came next</option>
          <option value="previous">What came before</option>
        </select>
      </label>
      <label class="field">
        <span>Steps</span>
        <select value={String(form.depth)} onChange={(e) => change({ depth: Number((e.target as HTMLSelectElement).value) })}>
          {DEPTHS.map((d) => (
            <option key={d} value={String(d)}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="btn primary">
        Show paths
      </button>
      {problem && (
        <p class="form-error" role="alert" id="journey-problem">
          {problem}
        </p>
      )}
    </form>
  );
}

/** Known pages or event names of the range, offered as the anchor input's choices. */
function Suggestions({ ctx, type }: { ctx: DashCtx; type: AnchorType }) {
  const base = `/api/websites/${ctx.site.id}`;
  const pages = useApi<MetricsBody>(type === "page" ? `${base}/metrics?${apiParams(ctx.view, {}, { type: "page", limit: SUGGESTIONS })}` : null);
  const events = useApi<{ data: { rows: EventRow[] } }>(type === "event" ? `${base}/events?${apiParams(ctx.view, { maxDays: 90 })}` : null);
  const values = type === "page" ? (pages.data?.data.rows ?? []).map((r) => r.value) : (events.data?.data.rows ?? []).map((r) => r.event_name);
  return (
    <datalist id="journey-suggestions">
      {values.slice(0, SUGGESTIONS).map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

function Branches({ journey }: { journey: Journey }) {
  const anchorNode = journey.anchor.value;
  if (journey.total_anchor_sessions === 0) {
    return <Empty>No session reached {shortUrl(anchorNode)} in this period.</Empty>;
  }
  return (
    <>
      <p class="muted" data-testid="journey-total">
        {fmtInt(journey.total_anchor_sessions)} {journey.total_anchor_sessions === 1 ? "session" : "sessions"} reached{" "}
        <strong>{shortUrl(anchorNode)}</strong>; the {journey.branches.length === 1 ? "path" : `${journey.branches.length} most common paths`}{" "}
        {journey.direction === "next" ? "after it" : "to it"}, up to {journey.max_depth} {journey.max_depth === 1 ? "step" : "steps"}:
      </p>
      <ol class="branches" data-testid="journey-branches">
        {journey.branches.map((b) => (
          <Branch key={b.nodes.join("\u0000")} branch={b} anchor={anchorNode} direction={journey.direction} />
        ))}
      </ol>
    </>
  );
}

function Branch({ branch, anchor, direction }: { branch: JourneyBranch; anchor: string; direction: Direction }) {
  const end = (
    <span class="node end" key="end">
      {direction === "next" ? "session ended" : "session started"}
    </span>
  );
  const steps = branch.nodes.map((n, i) => (
    <span class="node" key={i} title={n} data-testid="journey-node">
      {shortUrl(n)}
    </span>
  ));
  const anchorNode = (
    <span class="node anchor" key="anchor" title={anchor}>
      {shortUrl(anchor)}
    </span>
  );
  const chain = direction === "next" ? [anchorNode, ...(steps.length ? steps : [end])] : [...(steps.length ? steps : [end]), anchorNode];
  const spoken = (direction === "next" ? [anchor, ...branch.nodes] : [...branch.nodes, anchor]).join(", then ");
  return (
    <li class="branch" data-testid="journey-branch" data-sessions={branch.sessions} data-nodes={branch.nodes.join(" → ")}>
      <div class="branch-path" aria-label={branch.nodes.length ? spoken : `${anchor}, ${direction === "next" ? "then the session ended" : "where the session started"}`}>
        {chain.flatMap((node, i) =>
          i === 0
            ? [node]
            : [
                <span class="arrow" aria-hidden="true" key={`a${i}`}>
                  →
                </span>,
                node,
              ],
        )}
      </div>
      <div class="branch-stats">
        <span class="num" data-testid="branch-sessions">
          {fmtInt(branch.sessions)}
        </span>
        <span class="num muted branch-share">{fmtFraction(branch.share)}</span>
      </div>
      <div class="share-track" aria-hidden="true">
        <div class="share-fill" style={{ width: `${Math.min(100, branch.share * 100)}%` }} />
      </div>
    </li>
  );
}
