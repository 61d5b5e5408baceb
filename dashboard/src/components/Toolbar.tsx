// Date range presets, compare mode, active filters and CSV export. Every control writes
// the URL (so the view is bookmarkable); widgets re-read it.
import { useState } from "preact/hooks";
import { navigate, withQuery } from "../router";
import {
  COMPARE_MODES,
  FILTER_LABELS,
  PRESETS,
  apiParams,
  daysBetween,
  isDate,
  rangeLabel,
  todayIn,
  type CompareMode,
  type Preset,
  type View,
} from "../view";
import type { Goal } from "../api";
import { countryName } from "../format";
import { useApi } from "../hooks";

const EXPORT_MAX_DAYS = 90;

function go(query: URLSearchParams, changes: Record<string, string | null>) {
  navigate(location.pathname + withQuery(query, changes));
}

export function Toolbar(props: { view: View; query: URLSearchParams; websiteId: string; timezone: string; compare?: boolean; exportCsv?: boolean }) {
  const { view, query } = props;
  const [customOpen, setCustomOpen] = useState(false);

  const choosePreset = (preset: Preset) => {
    if (preset === "custom") {
      setCustomOpen(true);
      return;
    }
    setCustomOpen(false);
    go(query, { range: preset === "30d" ? null : preset, start: null, end: null });
  };
  const chooseCompare = (mode: CompareMode) => {
    if (mode === "custom") {
      go(query, { compare_mode: "custom", compare_start: view.compareStart, compare_end: view.compareEnd });
      return;
    }
    go(query, { compare_mode: mode === "none" ? null : mode, compare_start: null, compare_end: null });
  };

  const exportDays = daysBetween(view.start, view.end);
  const exportHref = `/api/websites/${props.websiteId}/export?${apiParams(view, { filters: false, bots: false, wholeDays: true }, { format: "csv" })}`;

  return (
    <div class="toolbar" data-testid="toolbar">
      <div class="toolbar-row">
        <label class="select-label">
          <span class="sr-only">Date range</span>
          <select
            data-testid="range-select"
            value={customOpen ? "custom" : view.preset}
            onChange={(e) => choosePreset((e.target as HTMLSelectElement).value as Preset)}
          >
            {PRESETS.map((p) => (
              <option value={p.id} key={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <span class="range-label muted" data-testid="range-label">
          {rangeLabel(view.start, view.end)}
        </span>
        {props.compare !== false && (
          <label class="select-label">
            <span class="sr-only">Compare</span>
            <select data-testid="compare-select" value={view.compare} onChange={(e) => chooseCompare((e.target as HTMLSelectElement).value as CompareMode)}>
              {COMPARE_MODES.map((c) => (
                <option value={c.id} key={c.id}>
                  {c.id === "none" ? "Compare: off" : `Compare: ${c.label.toLowerCase()}`}
                </option>
              ))}
            </select>
          </label>
        )}
        {props.exportCsv && (
          <a
            class={`btn small ghost ${exportDays > EXPORT_MAX_DAYS ? "disabled" : ""}`}
            href={exportDays > EXPORT_MAX_DAYS ? undefined : exportHref}
            download
            title={
              exportDays > EXPORT_MAX_DAYS
                ? "CSV export covers at most 90 days: pick a shorter range"
                : "Download the raw events of this range as CSV: every event, bots included (is_bot column), with its properties"
            }
            aria-disabled={exportDays > EXPORT_MAX_DAYS}
          >
            Export CSV
          </a>
        )}
        <span class="bots-note muted small" data-testid="bots-note">
          {view.includeBots ? "Bot traffic included" : "Bot traffic hidden"}
          <button type="button" class="btn link small" onClick={() => go(query, { bots: view.includeBots ? null : "include" })}>
            {view.includeBots ? "Hide bots" : "Show bots"}
          </button>
        </span>
      </div>
      {(customOpen || view.preset === "custom") && (
        <DateRangeForm
          key={`${view.start}/${view.end}`}
          label="Custom range"
          testid="custom-range"
          start={view.start}
          end={view.end}
          max={todayIn(props.timezone)}
          onApply={(s, e) => {
            setCustomOpen(false);
            go(query, { range: "custom", start: s, end: e });
          }}
        />
      )}
      {view.compare === "custom" && view.compareStart && view.compareEnd && (
        <DateRangeForm
          key={`${view.compareStart}/${view.compareEnd}`}
          label="Compare with"
          testid="compare-range"
          start={view.compareStart}
          end={view.compareEnd}
          onApply={(s, e) => go(query, { compare_mode: "custom", compare_start: s, compare_end: e })}
        />
      )}
      {view.filters.length > 0 && (
        <div class="filters" data-testid="filters">
          {view.filters.map(([key, value]) => (
            <span class="chip" key={key} data-filter={key}>
              <span>
                {FILTER_LABELS[key]} {key === "filter_page" ? "contains" : key === "filter_goal" ? "" : "is"}{" "}
                <strong>
                  {key === "filter_country" ? countryName(value) : key === "filter_goal" ? <GoalName websiteId={props.websiteId} id={value} /> : value}
                </strong>
              </span>
              <button type="button" aria-label={`Remove filter ${FILTER_LABELS[key]}`} onClick={() => go(query, { [key]: null })}>
                ×
              </button>
            </span>
          ))}
          {view.filters.length > 1 && (
            <button type="button" class="btn link small" onClick={() => go(query, Object.fromEntries(view.filters.map(([k]) => [k, null])))}>
              Clear all
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function DateRangeForm(props: { label: string; testid: string; start: string; end: string; max?: string; onApply: (s: string, e: string) => void }) {
  const [start, setStart] = useState(props.start);
  const [end, setEnd] = useState(props.end);
  const valid = isDate(start) && isDate(end) && start <= end;
  return (
    <form
      class="range-form"
      data-testid={props.testid}
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) props.onApply(start, end);
      }}
    >
      <span class="muted">{props.label}</span>
      <input type="date" aria-label={`${props.label} start`} value={start} max={props.max} onInput={(e) => setStart((e.target as HTMLInputElement).value)} />
      <span class="muted">to</span>
      <input type="date" aria-label={`${props.label} end`} value={end} max={props.max} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} />
      <button type="submit" class="btn small" disabled={!valid}>
        Apply
      </button>
    </form>
  );
}

/** A goal's name for the filter chip (its id until the list arrives, or if it is gone). */
function GoalName({ websiteId, id }: { websiteId: string; id: string }) {
  const goals = useApi<{ data: Goal[] }>(`/api/websites/${websiteId}/goals`);
  return <>{goals.data?.data.find((g) => g.id === id)?.name ?? id}</>;
}
