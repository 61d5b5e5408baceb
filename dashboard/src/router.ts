// A tiny History API router: the whole app state that matters (page, date range,
// compare mode, filters) lives in the URL, so a view can be bookmarked and shared.
import { h, type AnchorHTMLAttributes, type ComponentChildren, type TargetedMouseEvent } from "preact";
import { useEffect, useState } from "preact/hooks";

type Listener = () => void;
const listeners = new Set<Listener>();

function emit(): void {
  for (const fn of [...listeners]) fn();
}

window.addEventListener("popstate", emit);

export interface Location {
  path: string;
  search: string; // with the leading "?" or ""
  query: URLSearchParams;
}

export function currentLocation(): Location {
  return { path: location.pathname, search: location.search, query: new URLSearchParams(location.search) };
}

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const before = location.pathname;
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  if (location.pathname !== before) window.scrollTo(0, 0);
  emit();
}

/** The current location; the component re-renders whenever it changes. */
export function useLocation(): Location {
  const [, setTick] = useState(0);
  const here = currentLocation();
  const rendered = here.path + here.search;
  useEffect(() => {
    const fn = () => setTick((n) => n + 1);
    listeners.add(fn);
    // Effects run children first: a child may have navigated before we subscribed.
    if (location.pathname + location.search !== rendered) fn();
    return () => {
      listeners.delete(fn);
    };
  }, []);
  return here;
}

/** `?a=1&b=2` with `changes` applied (null or "" removes a key). */
export function withQuery(query: URLSearchParams, changes: Record<string, string | null | undefined>): string {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `?${text}` : "";
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; replace?: boolean; children?: ComponentChildren };

/** An `<a>` that navigates in-app on a plain left click and behaves normally otherwise. */
export function Link({ href, replace, onClick, ...rest }: LinkProps) {
  const click = (event: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (onClick) (onClick as (e: TargetedMouseEvent<HTMLAnchorElement>) => void)(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href, { replace });
  };
  return h("a", { ...rest, href, onClick: click });
}

/** Sets document.title to "<parts> · Sparklytics" while mounted. */
export function useTitle(...parts: (string | undefined)[]): void {
  const title = [...parts.filter(Boolean), "Sparklytics"].join(" · ");
  useEffect(() => {
    document.title = title;
  }, [title]);
}
