/** Every tenant the caller may see, with its health at a glance (etl-all ui). */
import type { Health, Me, TenantSummary } from "../../../dto.js";
import { api } from "../api.js";
import {
  Card,
  Empty,
  HEALTH_LABEL,
  Loaded,
  RunLink,
  StatusPill,
  usePoll,
} from "../components/ui.js";
import { ago } from "../format.js";

const ORDER: Health[] = ["failed", "stale", "never", "fresh"];

export function HealthBar({ health }: { health: TenantSummary["health"] }) {
  const total = ORDER.reduce((n, h) => n + (health[h] ?? 0), 0);
  return (
    <div class="health-bar" title={ORDER.map((h) => `${health[h] ?? 0} ${h}`).join(", ")}>
      {ORDER.map((h) =>
        (health[h] ?? 0) === 0 ? null : (
          <span key={h} class={`seg health-${h}`} style={{ flexGrow: health[h] ?? 0 }}>
            {total > 0 && (health[h] ?? 0) / total > 0.08 ? health[h] : ""}
          </span>
        ),
      )}
    </div>
  );
}

export function TenantsPage({ me }: { me: Me }) {
  const polled = usePoll(() => api.tenants(), [], 10_000);
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Tenants</h1>
          <p class="sub">{me.tenants.length} tenants in this console</p>
        </div>
      </header>
      <Loaded polled={polled}>
        {(data) =>
          data.tenants.length === 0 ? (
            <Empty>No tenant is visible with this token.</Empty>
          ) : (
            <div class="tenant-grid">
              {data.tenants.map((t) => (
                <Card
                  key={t.id}
                  class="tenant-card"
                  title={<a href={`/t/${encodeURIComponent(t.id)}`}>{t.name}</a>}
                  actions={
                    <span class="mono muted">
                      {t.id} · {t.environment}
                    </span>
                  }
                >
                  <HealthBar health={t.health} />
                  <p class="legend health-legend">
                    {ORDER.filter((h) => (t.health[h] ?? 0) > 0).map((h) => (
                      <span key={h}>
                        <span class={`dot health-${h}`} /> {t.health[h]} {HEALTH_LABEL[h]}
                      </span>
                    ))}
                  </p>
                  <dl class="facts">
                    <div>
                      <dt>Failing checks</dt>
                      <dd class={t.failingChecks > 0 ? "bad" : ""}>{t.failingChecks}</dd>
                    </div>
                    <div>
                      <dt>Running</dt>
                      <dd>{t.running}</dd>
                    </div>
                    <div>
                      <dt>Latest run</dt>
                      <dd>
                        {t.latestRun === null ? (
                          "none yet"
                        ) : (
                          <>
                            <StatusPill status={t.latestRun.status} /> {t.latestRun.job} ·{" "}
                            {ago(t.latestRun.startedAt)}{" "}
                            <RunLink tenant={t.id} runId={t.latestRun.runId} />
                          </>
                        )}
                      </dd>
                    </div>
                  </dl>
                </Card>
              ))}
            </div>
          )
        }
      </Loaded>
    </>
  );
}
