// A time-series line chart on uPlot (≈ 20 KB gzipped, canvas, fast with thousands of
// points). uPlot is loaded on demand, so the login and settings pages never download it
// and the overview paints its cards before the chart code arrives.
//
// The x axis is the bucket index, not a timestamp: API bucket labels are local wall-clock
// times of the website (Decision 4), so formatting the label text avoids any browser time
// zone shift and keeps the fall-back DST hour (two buckets, same wall clock) in order.
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlotType from "uplot";

export interface ChartSeries {
  label: string;
  values: number[];
  color: string; // CSS variable name, e.g. "--chart-1"
  dash?: boolean;
  fill?: boolean;
}

type Granularity = "hour" | "day" | "month";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LABEL_RE = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ](\d{2}))?/;

export function bucketLabel(label: string, granularity: Granularity, full = false): string {
  const m = LABEL_RE.exec(label);
  if (!m) return label;
  const [, y, mo, d, hh] = m;
  const month = MONTHS[Number(mo) - 1] ?? mo;
  if (granularity === "month" || !d) return `${month} ${y}`;
  if (granularity === "hour" && hh !== undefined) {
    return full || hh === "00" ? `${month} ${Number(d)}, ${hh}:00` : `${hh}:00`;
  }
  return full ? `${month} ${Number(d)}, ${y}` : `${month} ${Number(d)}`;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** "#6d28d9" → "rgba(109,40,217,a)"; other color syntaxes are returned unchanged. */
export function withAlpha(color: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
}

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

// uPlot's axis font (its default); tick labels are centred on their point, so the last
// one needs half its width of room right of the plot ("Mar 2026" ≈ 50 px, "Mar 30" ≈ 40).
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';

/** Right padding (CSS px) that keeps the widest x label whole at the last point. */
export function rightPadding(labels: string[], granularity: Granularity): number {
  const ctx = document.createElement("canvas").getContext("2d");
  let widest = 0;
  for (const label of labels) {
    const text = bucketLabel(label, granularity);
    widest = Math.max(widest, ctx ? ((ctx.font = AXIS_FONT), ctx.measureText(text).width) : text.length * 7);
  }
  return Math.max(24, Math.ceil(widest / 2) + 6);
}

let uplotModule: Promise<typeof uPlotType> | null = null;
function loadUplot(): Promise<typeof uPlotType> {
  uplotModule ??= Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([m]) => m.default);
  return uplotModule;
}

function useColorScheme(): string {
  const query = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  const [dark, setDark] = useState(!!query?.matches);
  useEffect(() => {
    if (!query) return;
    const fn = () => setDark(query.matches);
    query.addEventListener("change", fn);
    return () => query.removeEventListener("change", fn);
  }, []);
  return dark ? "dark" : "light";
}

export function Chart(props: { labels: string[]; series: ChartSeries[]; granularity: Granularity; height?: number; testid?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlotType | null>(null);
  const shape = useRef("");
  const scheme = useColorScheme();
  const [failed, setFailed] = useState(false);
  const height = props.height ?? 260;

  useEffect(() => {
    let cancelled = false;
    const key = `${scheme}|${props.granularity}|${props.labels.join(",")}|${props.series.map((s) => s.label).join(",")}`;
    const data: uPlotType.AlignedData = [props.labels.map((_, i) => i), ...props.series.map((s) => s.values)];
    if (plot.current && shape.current === key) {
      plot.current.setData(data);
      return;
    }
    loadUplot()
      .then((uPlot) => {
        if (cancelled || !box.current) return;
        plot.current?.destroy();
        shape.current = key;
        const muted = cssVar("--muted", "#6b7280");
        const grid = cssVar("--grid", "#e5e7eb");
        const labels = props.labels;
        const gran = props.granularity;
        const n = labels.length;
        const opts: uPlotType.Options = {
          width: Math.max(200, box.current.clientWidth),
          height,
          padding: [12, rightPadding(labels, gran), 0, 4], // room for the last x label
          scales: {
            x: { time: false, range: (_u, min, max) => (n <= 1 ? [-0.5, 0.5] : [min, max]) },
            y: { range: (_u, _min, max) => [0, max > 0 ? Math.ceil(max * 1.15) : 4] },
          },
          cursor: { points: { size: 7 } },
          legend: { live: true },
          series: [
            { label: gran === "hour" ? "Hour" : gran === "month" ? "Month" : "Day", value: (_u, v) => (v == null || !labels[v] ? "" : bucketLabel(labels[v], gran, true)) },
            ...props.series.map((s) => {
              const color = cssVar(s.color, "#6d28d9");
              return {
                label: s.label,
                stroke: color,
                width: 2,
                dash: s.dash ? [6, 5] : undefined,
                fill: s.fill ? withAlpha(color, 0.14) : undefined,
                points: { show: n <= 45, size: 5 },
                value: (_u: uPlotType, v: number | null) => (v == null ? "–" : v.toLocaleString()),
              };
            }),
          ],
          axes: [
            {
              stroke: muted,
              grid: { show: false },
              ticks: { stroke: grid },
              space: gran === "hour" ? 46 : 56,
              incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 28, 48, 72, 96, 168],
              values: (_u, splits) => splits.map((i) => (Number.isInteger(i) && labels[i] ? bucketLabel(labels[i], gran) : "")),
            },
            {
              stroke: muted,
              grid: { stroke: grid, width: 1 },
              ticks: { show: false },
              size: 48,
              values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? compact.format(v) : "")),
            },
          ],
        };
        plot.current = new uPlot(opts, data, box.current);
      })
      .catch(() => {
        if (!cancelled) setFailed(true);
      });
    return () => {
      cancelled = true;
    };
  }, [props.labels, props.series, props.granularity, scheme]);

  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (plot.current && el.clientWidth > 0) plot.current.setSize({ width: Math.max(200, el.clientWidth), height });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [height]);

  useEffect(() => () => plot.current?.destroy(), []);

  if (failed) return <div class="empty">The chart could not be loaded. Reload the page to try again.</div>;
  return (
    <div
      class="chart"
      ref={box}
      style={{ minHeight: `${height + 40}px` }}
      data-testid={props.testid}
      data-series={props.series.map((s) => s.label).join("|")}
      data-points={props.labels.length}
    />
  );
}
