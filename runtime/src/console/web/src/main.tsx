/** The console's single page app: layout, sign-in, and the page the URL names. */
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Me } from "../../dto.js";
import { ApiError, api } from "./api.js";
import { ErrorBox, Loading } from "./components/ui.js";
import { AssetPage } from "./pages/asset.js";
import { LineagePage } from "./pages/lineage.js";
import { LoginPage } from "./pages/login.js";
import { OverviewPage } from "./pages/overview.js";
import { PartitionsPage } from "./pages/partitions.js";
import { RunPage } from "./pages/run.js";
import { RunsPage } from "./pages/runs.js";
import { TenantsPage } from "./pages/tenants.js";
import { interceptLinks, navigate, parseRoute, type Route, useLocation } from "./router.js";

function Nav({ me, route }: { me: Me; route: Route }) {
  const tenant =
    "tenant" in route ? route.tenant : me.tenants.length === 1 ? me.tenants[0] : undefined;
  const section = route.page;
  const link = (page: string, label: string, href: string, active: boolean) => (
    <a class={active ? "active" : ""} href={href} data-nav={page}>
      {label}
    </a>
  );
  return (
    <nav class="sidebar">
      <a class="brand" href="/">
        <span class="logo" aria-hidden="true" />
        etl console
      </a>
      {me.tenants.length > 1 && (
        <label class="tenant-picker">
          <span>Tenant</span>
          <select
            value={tenant ?? ""}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              navigate(v === "" ? "/" : `/t/${encodeURIComponent(v)}`);
            }}
          >
            <option value="">All tenants</option>
            {me.tenants.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      )}
      {tenant !== undefined && (
        <div class="nav-links">
          {link("overview", "Overview", `/t/${encodeURIComponent(tenant)}`, section === "overview")}
          {link(
            "lineage",
            "Lineage",
            `/t/${encodeURIComponent(tenant)}/lineage`,
            section === "lineage" || section === "asset",
          )}
          {link(
            "partitions",
            "Partitions",
            `/t/${encodeURIComponent(tenant)}/partitions`,
            section === "partitions",
          )}
          {link(
            "runs",
            "Runs",
            `/t/${encodeURIComponent(tenant)}/runs`,
            section === "runs" || section === "run",
          )}
        </div>
      )}
      <div class="who">
        <span class={`role role-${me.role}`}>{me.role}</span>
        <span class="mono">{me.name ?? "local (no tokens)"}</span>
        {me.authRequired && (
          <button
            type="button"
            class="link"
            onClick={() => {
              void api.signOut().then(() => {
                location.assign("/login");
              });
            }}
          >
            Sign out
          </button>
        )}
      </div>
    </nav>
  );
}

function Page({ me, route }: { me: Me; route: Route }) {
  switch (route.page) {
    case "tenants":
      return <TenantsPage me={me} />;
    case "overview":
      return <OverviewPage me={me} tenant={route.tenant} />;
    case "lineage":
      return <LineagePage tenant={route.tenant} />;
    case "asset":
      return <AssetPage me={me} tenant={route.tenant} assetKey={route.key} />;
    case "partitions":
      return <PartitionsPage me={me} tenant={route.tenant} />;
    case "runs":
      return <RunsPage tenant={route.tenant} />;
    case "run":
      return <RunPage me={me} tenant={route.tenant} runId={route.runId} />;
    case "login":
      return <LoginPage onSignedIn={() => navigate("/")} />;
    case "missing":
      return <ErrorBox error={new ApiError(404, `no page at ${route.path}`)} />;
  }
}

function App() {
  const loc = useLocation();
  const route = parseRoute(loc.pathname);
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.me().then(
      (m) => {
        setMe(m);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  }, [route.page === "login"]);
  useEffect(() => {
    document.title = `${route.page === "tenants" ? "tenants" : route.page}${"tenant" in route ? ` · ${route.tenant}` : ""} · etl console`;
  }, [loc.pathname]);
  if (error instanceof ApiError && error.status === 401) {
    return (
      <main class="login-shell">
        <LoginPage
          onSignedIn={(m) => {
            setMe(m);
            setError(null);
            if (route.page === "login") navigate("/");
          }}
        />
      </main>
    );
  }
  if (me === null)
    return <main class="content">{error === null ? <Loading /> : <ErrorBox error={error} />}</main>;
  if (route.page === "tenants" && me.tenants.length === 1 && me.tenants[0] !== undefined) {
    navigate(`/t/${encodeURIComponent(me.tenants[0])}`);
    return <Loading />;
  }
  return (
    <div class="shell">
      <Nav me={me} route={route} />
      <main class="content" data-page={route.page}>
        <Page me={me} route={route} />
      </main>
    </div>
  );
}

const root = document.getElementById("app");
if (root !== null) {
  interceptLinks(root);
  render(<App />, root);
}
