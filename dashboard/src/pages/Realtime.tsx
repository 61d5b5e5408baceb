// Realtime: active visitors of the last 30 minutes and the live event feed (polls 10 s).
import { useEffect, useState } from "preact/hooks";
import type { Realtime as RealtimeData } from "../api";
import { Card, Empty, ErrorBox, SkeletonRows } from "../components/ui";
import { countryName, flag, fmtAgo, fmtInt, fmtTime, shortUrl } from "../format";
import { POLL_REALTIME_PAGE, useApi } from "../hooks";
import type { DashCtx } from "./Overview";

function useNow(every = 5000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), every);
    return () => window.clearInterval(t);
  }, [every]);
  return now;
}

export function RealtimePage({ ctx }: { ctx: DashCtx }) {
  const res = useApi<{ data: RealtimeData }>(`/api/websites/${ctx.site.id}/realtime`, POLL_REALTIME_PAGE);
  const now = useNow();
  const data = res.data?.data;
  return (
    <div class="page realtime" data-testid="realtime">
      <div class="stat-cards two">
        <div class="stat-card big">
          <div class="stat-label">
            <span class="dot live" /> Visitors in the last 30 minutes
          </div>
          <div class="stat-value" data-testid="active-visitors">
            {data ? fmtInt(data.active_visitors) : <span class="skeleton stat-skeleton" />}
          </div>
        </div>
        <div class="stat-card big">
          <div class="stat-label">Events in the last 30 minutes</div>
          <div class="stat-value" data-testid="events-in-window">
            {data ? fmtInt(data.pagination.total_in_window) : <span class="skeleton stat-skeleton" />}
          </div>
        </div>
      </div>
      <Card title="Live feed" actions={<span class="muted small">Updates every 10 seconds</span>} testid="live-feed">
        {!data && res.error ? (
          <ErrorBox error={res.error} retry={res.reload} />
        ) : !data ? (
          <SkeletonRows rows={8} />
        ) : data.recent_events.length === 0 ? (
          <Empty>No visitors in the last 30 minutes. New pageviews appear here within seconds.</Empty>
        ) : (
          <>
            {res.error && <ErrorBox compact error={res.error} retry={res.reload} />}
            <ul class="feed">
              {data.recent_events.map((e, i) => (
                <li key={`${e.ts}-${i}`} class="feed-item" data-testid="feed-item">
                  <span class={`badge ${e.event_type === "pageview" ? "" : "alt"}`} data-testid="feed-kind">
                    {e.event_type === "pageview" ? "pageview" : (e.event_name ?? e.event_type)}
                  </span>
                  <span class="feed-url" title={e.url}>
                    {shortUrl(e.url)}
                  </span>
                  <span class="feed-meta muted small">
                    {e.country && (
                      <span title={countryName(e.country)}>
                        {flag(e.country)} {e.country}
                      </span>
                    )}
                    {e.browser && <span>{e.browser}</span>}
                    {e.device_type && <span>{e.device_type}</span>}
                    {e.referrer_domain && <span>from {e.referrer_domain}</span>}
                  </span>
                  <time class="muted small" title={fmtTime(e.ts, ctx.site.timezone)}>
                    {fmtAgo(e.ts, now)}
                  </time>
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>
    </div>
  );
}
