/** A small history router: the path is the page, links navigate without a reload. */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "tenants" }
  | { page: "login" }
  | { page: "overview"; tenant: string }
  | { page: "lineage"; tenant: string }
  | { page: "asset"; tenant: string; key: string }
  | { page: "partitions"; tenant: string }
  | { page: "runs"; tenant: string }
  | { page: "run"; tenant: string; runId: string }
  | { page: "missing"; path: string };

/** The page a path names. */
export function parseRoute(pathname: string): Route {
  const parts = pathname
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  if (parts.length === 0) return { page: "tenants" };
  if (parts[0] === "login" && parts.length === 1) return { page: "login" };
  if (parts[0] !== "t" || parts[1] === undefined) return { page: "missing", path: pathname };
  const tenant = parts[1];
  const [section, ...rest] = parts.slice(2);
  if (section === undefined) return { page: "overview", tenant };
  if (section === "lineage" && rest.length === 0) return { page: "lineage", tenant };
  if (section === "partitions" && rest.length === 0) return { page: "partitions", tenant };
  if (section === "runs" && rest.length === 0) return { page: "runs", tenant };
  if (section === "runs" && rest.length === 1 && rest[0] !== undefined)
    return { page: "run", tenant, runId: rest[0] };
  if (section === "assets" && rest.length >= 2)
    return { page: "asset", tenant, key: `${tenant}/${rest.join("/")}` };
  return { page: "missing", path: pathname };
}

/** Goes to a path inside the console (pushes history, re-renders). */
export function navigate(to: string): void {
  if (to === `${location.pathname}${location.search}`) return;
  history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The current location; re-renders on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const on = () => setTick((n) => n + 1);
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

/** Same-document navigation for plain left clicks on internal links. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    const target = event.target instanceof Element ? event.target.closest("a") : null;
    const href = target?.getAttribute("href");
    if (
      target === null ||
      href === null ||
      href === undefined ||
      !href.startsWith("/") ||
      target.hasAttribute("target")
    )
      return;
    event.preventDefault();
    navigate(href);
  });
}

/** Replaces the query string (filters) without a new history entry per keystroke. */
export function setSearch(params: Record<string, string | null>): void {
  const search = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === "") search.delete(k);
    else search.set(k, v);
  }
  const text = search.toString();
  history.replaceState(null, "", `${location.pathname}${text === "" ? "" : `?${text}`}`);
  dispatchEvent(new PopStateEvent("popstate"));
}
