// "Waiting for the first pageview…" → "First pageview received": polls the website's
// stats since its creation every few seconds until a pageview shows up.
import { useEffect } from "preact/hooks";
import type { Stats, Website } from "../api";
import { useApi } from "../hooks";
import { addDays, todayIn } from "../view";
import { ErrorBox, Spinner } from "./ui";

const POLL_ONBOARDING = 3_000;

export function lifetimeStatsUrl(site: Pick<Website, "id" | "timezone" | "created_at">): string {
  const created = (site.created_at || "").slice(0, 10);
  const today = todayIn(site.timezone);
  const start = /^\d{4}-\d{2}-\d{2}$/.test(created) && created <= today ? addDays(created, -1) : addDays(today, -1);
  return `/api/websites/${site.id}/stats?start_date=${start}&end_date=${addDays(today, 1)}`;
}

export function FirstPageview(props: { site: Pick<Website, "id" | "timezone" | "created_at">; onReceived?: () => void }) {
  const res = useApi<{ data: Stats }>(lifetimeStatsUrl(props.site), POLL_ONBOARDING);
  const received = !!res.data && res.data.data.pageviews > 0;
  useEffect(() => {
    if (received) props.onReceived?.();
  }, [received]);
  if (received) {
    return (
      <div class="status-line ok" data-testid="first-pageview" data-state="received">
        <span class="dot ok" /> First pageview received!
      </div>
    );
  }
  return (
    <div class="status-line" data-testid="first-pageview" data-state="waiting">
      <Spinner /> Waiting for the first pageview… open a page of your site that has the snippet.
      {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
    </div>
  );
}
