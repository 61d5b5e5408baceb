// Sessions: the list (cursor paging, newest first) and a drawer with one session's event
// timeline. The open session is in the URL (`?session=<id>`), so it can be linked. Times
// are in the website's time zone, like the charts; "Events" are custom events (the
// session's `event_count` counts its pageviews too).
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, type Session, type SessionEvent } from "../api";
import { Card, Empty, ErrorBox, SkeletonRows, Spinner } from "../components/ui";
import { countryName, flag, fmtDateTime, fmtDuration, fmtInt, fmtShortDateTime, fmtTime, shortUrl } from "../format";
import { useApi } from "../hooks";
import { navigate, withQuery } from "../router";
import { apiParams } from "../view";
import type { DashCtx } from "./Overview";

interface ListBody {
  data: Session[];
  pagination: { limit: number; next_cursor: string | null; has_more: boolean };
}

const PAGE_SIZE = 50;

/** "entry → exit" (just the entry when the session ended where it began). */
function pathsOf(s: Session): string {
  const entry = s.entry_page ?? "–";
  return s.exit_page && s.exit_page !== s.entry_page ? `${entry} → ${s.exit_page}` : entry;
}

/** The session's custom events, link clicks and the like: every event but pageviews. */
function customEvents(s: Session): number {
  return Math.max(0, s.event_count - s.pageview_count);
}

export function SessionsPage({ ctx }: { ctx: DashCtx }) {
  const url = `/api/websites/${ctx.site.id}/sessions?${apiParams(ctx.view, {}, { limit: PAGE_SIZE })}`;
  const first = useApi<ListBody>(url);
  const [more, setMore] = useState<{ url: string; rows: Session[]; cursor: string | null; hasMore: boolean } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const selected = ctx.query.get("session");

  const extra = more && more.url === url ? more : null;
  const rows = first.data ? [...first.data.data, ...(extra?.rows ?? [])] : [];
  const cursor = extra ? extra.cursor : (first.data?.pagination.next_cursor ?? null);
  const hasMore = extra ? extra.hasMore : !!first.data?.pagination.has_more;

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const body = await get<ListBody>(`${url}&cursor=${encodeURIComponent(cursor)}`);
      setMore({ url, rows: [...(extra?.rows ?? []), ...body.data], cursor: body.pagination.next_cursor, hasMore: body.pagination.has_more });
    } catch (err) {
      setMoreError(err instanceof ApiError ? err : new ApiError(0, "error", String(err)));
    } finally {
      setLoadingMore(false);
    }
  };

  const open = (sid: string | null) => navigate(location.pathname + withQuery(ctx.query, { session: sid }));

  return (
    <div class="page sessions" data-testid="sessions">
      <Card title="Sessions" testid="sessions-card">
        {!first.data && first.error ? (
          <ErrorBox error={first.error} retry={first.reload} />
        ) : !first.data ? (
          <SkeletonRows rows={8} />
        ) : rows.length === 0 ? (
          <Empty>No sessions in this period.</Empty>
        ) : (
          <div class={first.stale ? "stale table-scroll" : "table-scroll"}>
            <table class="data-table">
              <thead>
                <tr>
                  <th scope="col">Last seen</th>
                  <th scope="col">Entry → exit</th>
                  <th scope="col" class="num">
                    Pages
                  </th>
                  <th scope="col" class="num" title="Custom events, link clicks, scrolls and forms (pageviews not counted)">
                    Events
                  </th>
                  <th scope="col" class="num">
                    Duration
                  </th>
                  <th scope="col" class="hide-sm">
                    Visitor
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((s) => (
                  <tr
                    key={s.session_id}
                    class={s.session_id === selected ? "clickable selected" : "clickable"}
                    tabIndex={0}
                    onClick={() => open(s.session_id)}
                    onKeyDown={(e) => e.key === "Enter" && open(s.session_id)}
                    data-testid="session-row"
                    data-session={s.session_id}
                  >
                    <td class="nowrap" title={fmtDateTime(s.last_seen, ctx.site.timezone)} data-testid="session-last-seen">
                      {fmtShortDateTime(s.last_seen, ctx.site.timezone)}
                    </td>
                    <td class="path-cell" title={pathsOf(s)} data-testid="session-paths">
                      {pathsOf(s)}
                    </td>
                    <td class="num">{fmtInt(s.pageview_count)}</td>
                    <td class="num" data-testid="session-events">
                      {fmtInt(customEvents(s))}
                    </td>
                    <td class="num">{fmtDuration(s.duration_seconds)}</td>
                    <td class="hide-sm muted small">
                      {[s.country ? `${flag(s.country)} ${s.country}` : null, s.browser, s.os, s.device_type].filter(Boolean).join(" · ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {moreError && <ErrorBox compact error={moreError} retry={loadMore} />}
        {hasMore && (
          <button type="button" class="btn more" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? <Spinner /> : "Load more sessions"}
          </button>
        )}
      </Card>
      {selected && <SessionDrawer siteId={ctx.site.id} timeZone={ctx.site.timezone} sessionId={selected} onClose={() => open(null)} />}
    </div>
  );
}

interface DetailBody {
  data: { session: Session; events: SessionEvent[]; truncated: boolean };
}

function SessionDrawer({ siteId, timeZone, sessionId, onClose }: { siteId: string; timeZone: string; sessionId: string; onClose: () => void }) {
  const res = useApi<DetailBody>(`/api/websites/${siteId}/sessions/${encodeURIComponent(sessionId)}`);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
  const d = res.data?.data;
  return (
    <div class="drawer-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="drawer" role="dialog" aria-modal="true" aria-label="Session details" data-testid="session-drawer">
        <header class="drawer-head">
          <h2>Session</h2>
          <button type="button" class="btn small ghost" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        {!d && res.error ? (
          <ErrorBox error={res.error} retry={res.reload} />
        ) : !d ? (
          <SkeletonRows rows={6} />
        ) : (
          <div class="drawer-body">
            <dl class="facts">
              <dt>Started</dt>
              <dd data-testid="session-started">{fmtDateTime(d.session.first_seen, timeZone)}</dd>
              <dt>Duration</dt>
              <dd>{fmtDuration(d.session.duration_seconds)}</dd>
              <dt>Pageviews</dt>
              <dd>{fmtInt(d.session.pageview_count)}</dd>
              <dt>Events</dt>
              <dd>{fmtInt(customEvents(d.session))}</dd>
              {d.session.country && (
                <>
                  <dt>Country</dt>
                  <dd>
                    {flag(d.session.country)} {countryName(d.session.country)}
                  </dd>
                </>
              )}
              <dt>Device</dt>
              <dd>{[d.session.browser, d.session.os, d.session.device_type].filter(Boolean).join(" · ") || "–"}</dd>
              <dt>Visitor</dt>
              <dd class="mono small">{d.session.visitor_id}</dd>
            </dl>
            <h3>Timeline</h3>
            <ol class="timeline" data-testid="timeline">
              {d.events.map((e) => (
                <li key={e.id} class={e.event_type === "pageview" ? "tl-item" : "tl-item alt"} data-testid="timeline-item">
                  <time class="muted small">{fmtTime(e.created_at, timeZone)}</time>
                  <div>
                    <strong>{e.event_type === "pageview" ? "Viewed" : e.event_name ?? e.event_type}</strong>{" "}
                    <span class="path-cell" title={e.url}>
                      {shortUrl(e.url)}
                    </span>
                    {e.event_data && <pre class="event-data">{prettyJson(e.event_data)}</pre>}
                  </div>
                </li>
              ))}
            </ol>
            {d.truncated && <p class="muted small">Only the first 2,000 events are shown.</p>}
          </div>
        )}
      </div>
    </div>
  );
}

function prettyJson(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 1);
  } catch {
    return raw;
  }
}
