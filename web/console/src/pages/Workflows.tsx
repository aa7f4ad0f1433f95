import { useEffect, useState } from 'preact/hooks';
import { get, type Page, type RunSummary, type Workflow } from '../api';
import { triggerKinds, when } from '../format';
import { Alert, Loading, Status, Title, message } from '../ui';

export function WorkflowsPage() {
  const [items, setItems] = useState<Workflow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [lastRuns, setLastRuns] = useState<Record<string, RunSummary | null>>({});
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const load = async (after: string | null) => {
    setLoading(true);
    try {
      const page = await get<Page<Workflow>>(`/api/v1/workflows?limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`);
      setItems(old => (after ? [...old, ...page.items] : page.items));
      setCursor(page.nextCursor);
      // Each workflow's last run: the newest run of that workflow.
      const runs = await Promise.all(page.items.map(w =>
        get<Page<RunSummary>>(`/api/v1/runs?workflow=${encodeURIComponent(w.name)}&limit=1`).then(p => [w.name, p.items[0] ?? null] as const, () => [w.name, null] as const)));
      setLastRuns(old => ({ ...old, ...Object.fromEntries(runs) }));
      setError(null);
    } catch (e) {
      setError(message(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { void load(null); }, []);

  return (
    <section>
      <div class="page-head">
        <Title>Workflows</Title>
        <a class="button" href="/workflows/new">New workflow</a>
      </div>
      {error && <Alert>{error}</Alert>}
      {!loading && items.length === 0 && !error && <p>No workflows yet. <a href="/workflows/new">Write the first one</a>.</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Workflows in this workspace, by name</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Triggers</th><th scope="col">Last run</th><th scope="col">Updated</th></tr></thead>
            <tbody>
              {items.map(w => {
                const last = lastRuns[w.name];
                return (
                  <tr key={w.id} data-workflow={w.name}>
                    <td><a href={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</a>{w.description && <div class="muted small">{w.description}</div>}</td>
                    <td>v{w.version}</td>
                    <td>{triggerKinds(w.definition).join(', ') || <span class="muted">manual only</span>}</td>
                    <td>{last === undefined ? '…' : last ? <a href={`/runs/${last.id}`} aria-label={`Last run of ${w.name}: ${last.status}`}><Status status={last.status} /></a> : <span class="muted">never run</span>}</td>
                    <td>{when(w.updatedAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {loading && <Loading what="workflows" />}
      {cursor && !loading && <button type="button" onClick={() => load(cursor)}>Load more</button>}
    </section>
  );
}
