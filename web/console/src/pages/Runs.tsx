import { useEffect, useState } from 'preact/hooks';
import { get, type Page, type RunSummary } from '../api';
import { duration, when } from '../format';
import { navigate } from '../router';
import { Alert, Loading, Status, Title, message } from '../ui';

const statuses = ['pending', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

/** Runs, newest first, filtered by workflow, status and time; the filters live in the address so a view can be shared. */
export function RunsPage({ query }: { query: URLSearchParams }) {
  const workflow = query.get('workflow') ?? '';
  const status = query.get('status') ?? '';
  const since = query.get('since') ?? '';
  const until = query.get('until') ?? '';
  const [form, setForm] = useState({ workflow, status, since, until });
  const [items, setItems] = useState<RunSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const url = (after: string | null) => {
    const p = new URLSearchParams({ limit: '25' });
    if (workflow) p.set('workflow', workflow);
    if (status) p.set('status', status);
    if (since) p.set('since', new Date(since).toISOString());
    if (until) p.set('until', new Date(until).toISOString());
    if (after) p.set('cursor', after);
    return `/api/v1/runs?${p}`;
  };
  const load = async (after: string | null) => {
    setLoading(true);
    try {
      const page = await get<Page<RunSummary>>(url(after));
      setItems(old => (after ? [...old, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (e) {
      setError(message(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { setForm({ workflow, status, since, until }); void load(null); }, [workflow, status, since, until]);

  const apply = (e: Event) => {
    e.preventDefault();
    const p = new URLSearchParams();
    Object.entries(form).forEach(([k, v]) => { if (v) p.set(k, v); });
    navigate(`/runs${p.size ? `?${p}` : ''}`);
  };
  const field = (k: keyof typeof form) => ({ value: form[k], onInput: (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value }) });

  return (
    <section>
      <Title>Runs</Title>
      <form class="filters" onSubmit={apply} aria-label="Filter runs">
        <div><label for="f-workflow">Workflow</label><input id="f-workflow" {...field('workflow')} placeholder="any" /></div>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" value={form.status} onChange={e => setForm({ ...form, status: (e.target as HTMLSelectElement).value })}>
            <option value="">any</option>
            {statuses.map(s => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
        <div><label for="f-since">Created from</label><input id="f-since" type="datetime-local" {...field('since')} /></div>
        <div><label for="f-until">Created before</label><input id="f-until" type="datetime-local" {...field('until')} /></div>
        <div class="filters-actions"><button type="submit">Filter</button> <a href="/runs">Clear</a></div>
      </form>
      {error && <Alert>{error}</Alert>}
      {!loading && !error && items.length === 0 && <p>No runs match.</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Runs, newest first</caption>
            <thead><tr><th scope="col">Run</th><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
            <tbody>
              {items.map(r => (
                <tr key={r.id} data-run={r.id}>
                  <td><a href={`/runs/${r.id}`}><code>{r.id.slice(0, 8)}</code></a></td>
                  <td><a href={`/workflows/${encodeURIComponent(r.workflow)}`}>{r.workflow}</a> <span class="muted">v{r.version}</span></td>
                  <td><Status status={r.status} /></td>
                  <td>{when(r.createdAt)}</td>
                  <td>{duration(r.startedAt, r.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {loading && <Loading what="runs" />}
      {cursor && !loading && <button type="button" onClick={() => load(cursor)}>Next page</button>}
    </section>
  );
}
