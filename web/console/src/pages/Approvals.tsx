import { useEffect, useState } from 'preact/hooks';
import { get, type Page, type Run, type RunEvent, type RunSummary } from '../api';
import { when } from '../format';
import { Alert, Loading, Title, message } from '../ui';
import { Decide } from './Decide';

interface Waiting { run: RunSummary; stepId: string; message: string | null; requestedAt: string | null; expiresAt: string | null }

/**
 * Every approval waiting for a decision in this workspace: runs whose status is waiting, and in each the steps
 * whose ApprovalRequested event has no ApprovalDecided after it and that are still waiting.
 */
export function ApprovalsPage() {
  const [items, setItems] = useState<Waiting[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // Decided here: the engine records the decision a moment later, so a reload could still list it as waiting.
  const [decided, setDecided] = useState<string[]>([]);

  useEffect(() => {
    let live = true;
    (async () => {
      const runs: RunSummary[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page: Page<RunSummary> = await get<Page<RunSummary>>(`/api/v1/runs?status=waiting&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        runs.push(...page.items);
        cursor = page.nextCursor;
      }
      const found = await Promise.all(runs.map(async run => {
        const [detail, events] = await Promise.all([
          get<Run>(`/api/v1/runs/${run.id}`),
          get<Page<RunEvent>>(`/api/v1/runs/${run.id}/events?limit=500`),
        ]);
        const waitingSteps = new Set(detail.steps.filter(s => s.status === 'waiting').map(s => s.id));
        const open = new Map<string, RunEvent>();
        events.items.forEach(e => {
          if (e.type === 'ApprovalRequested' && e.stepId) open.set(e.stepId, e);
          if (e.type === 'ApprovalDecided' && e.stepId) open.delete(e.stepId);
        });
        return [...open.values()].filter(e => waitingSteps.has(e.stepId!)).map(e => {
          const data = (e.data ?? {}) as { message?: string; expiresAt?: string };
          return { run, stepId: e.stepId!, message: data.message ?? null, requestedAt: e.timestamp, expiresAt: data.expiresAt ?? null };
        });
      }));
      if (live) { setItems(found.flat()); setError(null); }
    })().catch(e => { if (live) setError(message(e)); });
    return () => { live = false; };
  }, [tick]);

  return (
    <section>
      <div class="page-head">
        <Title>Approvals</Title>
        <button type="button" onClick={() => setTick(t => t + 1)}>Refresh</button>
      </div>
      {error && <Alert>{error}</Alert>}
      {!items && !error && <Loading what="approvals" />}
      {decided.length > 0 && <Alert kind="ok">Decided: {decided.map(d => d.split('/')[1]).join(', ')}. The runs go on.</Alert>}
      {items && items.filter(w => !decided.includes(`${w.run.id}/${w.stepId}`)).length === 0 && <p>Nothing is waiting for a decision.</p>}
      <ul class="cards">
        {items?.filter(w => !decided.includes(`${w.run.id}/${w.stepId}`)).map(w => (
          <li key={`${w.run.id}/${w.stepId}`} class="card" data-approval={`${w.run.workflow}/${w.stepId}`}>
            <h2>{w.message ?? `Step ${w.stepId} asks for a decision`}</h2>
            <p class="muted">
              <a href={`/runs/${w.run.id}`}>{w.run.workflow} v{w.run.version}</a>, step <code>{w.stepId}</code> · asked {when(w.requestedAt)}
              {w.expiresAt && <> · expires {when(w.expiresAt)}</>}
            </p>
            <Decide runId={w.run.id} stepId={w.stepId} onDecided={() => setDecided(d => [...d, `${w.run.id}/${w.stepId}`])} />
          </li>
        ))}
      </ul>
    </section>
  );
}
