import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, validate, workspace, type Graph, type Page, type RunSummary, type Version, type VersionSummary, type Workflow } from '../api';
import { Dag } from '../dag';
import { diffLines } from '../diff';
import { when } from '../format';
import { navigate } from '../router';
import { Alert, Loading, Status, Title, useLoad } from '../ui';
import { StartRun } from './StartRun';

export function WorkflowPage({ name }: { name: string }) {
  const wf = useLoad(() => get<Workflow>(`/api/v1/workflows/${encodeURIComponent(name)}`), [name]);
  const versions = useLoad(() => get<Page<VersionSummary>>(`/api/v1/workflows/${encodeURIComponent(name)}/versions?limit=500`), [name]);
  const latest = useLoad<Version | undefined>(
    () => (wf.data ? get<Version>(`/api/v1/workflows/${encodeURIComponent(name)}/versions/${wf.data.version}`) : Promise.resolve(undefined)),
    [wf.data?.version]);
  const graph = useLoad<Graph | null>(async () => {
    if (!latest.data) return null;
    const v = await validate(latest.data.source, latest.data.format);
    return v.graph;
  }, [latest.data]);
  const runs = useLoad(() => get<Page<RunSummary>>(`/api/v1/runs?workflow=${encodeURIComponent(name)}&limit=10`), [name]);
  const ws = useLoad(workspace, []);

  if (wf.error) return <section><Title>{name}</Title><Alert>{wf.error}</Alert></section>;
  if (!wf.data) return <Loading what={`workflow ${name}`} />;
  const w = wf.data;
  const hooks = (graph.data?.triggers ?? []).filter(t => t.kind === 'webhook');
  const crons = (graph.data?.triggers ?? []).filter(t => t.kind === 'cron');

  return (
    <section>
      <div class="page-head">
        <Title>{w.name}</Title>
        {!w.archived && <a class="button" href={`/workflows/${encodeURIComponent(w.name)}/edit`}>Edit</a>}
      </div>
      <p>{w.description ?? <span class="muted">No description.</span>} <span class="muted">Latest version v{w.version}{w.archived ? ' · archived' : ''}.</span></p>

      <h2>Picture</h2>
      {graph.data ? <Dag graph={graph.data} label={`Steps of ${w.name}`} /> : <Loading what="the picture" />}

      <h2>Triggers</h2>
      {hooks.length === 0 && crons.length === 0 && <p class="muted">No triggers: runs start from the console, the API or the CLI.</p>}
      <ul class="plain">
        {hooks.map(h => {
          const url = `${location.origin}/hooks/${ws.data ?? 'default'}/${h.key}`;
          return (
            <li key={h.key}>
              Webhook <code data-testid="webhook-url">{url}</code> {h.hasSecret && <span class="muted">(signed: send X-Flowkit-Signature)</span>}{' '}
              <CopyButton text={url} label={`Copy webhook URL ${h.key}`} />
            </li>
          );
        })}
        {crons.map(c => <li key={c.expression}>Schedule <code>{c.expression}</code> ({c.timeZone ?? 'UTC'})</li>)}
      </ul>

      {!w.archived && <StartRun workflow={w.name} onStarted={id => navigate(`/runs/${id}`)} />}

      <h2>Recent runs</h2>
      {runs.data && runs.data.items.length === 0 && <p class="muted">No runs yet.</p>}
      <ul class="plain">
        {runs.data?.items.map(r => <li key={r.id}><a href={`/runs/${r.id}`}>{when(r.createdAt)}</a> v{r.version} <Status status={r.status} /></li>)}
      </ul>
      <p><a href={`/runs?workflow=${encodeURIComponent(w.name)}`}>All runs of {w.name}</a></p>

      <h2>Versions</h2>
      {versions.data && <Versions name={w.name} versions={versions.data.items} />}

      <h2>Definition (v{w.version})</h2>
      {latest.data ? <pre class="code" tabIndex={0} aria-label="Definition source">{latest.data.source}</pre> : <Loading what="the definition" />}
    </section>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button type="button" class="small" aria-label={label} onClick={async () => {
      try { await navigator.clipboard.writeText(text); setDone(true); } catch { setDone(false); }
    }}>{done ? 'Copied' : 'Copy'}</button>
  );
}

function Versions({ name, versions }: { name: string; versions: VersionSummary[] }) {
  const newest = versions[0]?.version ?? 1;
  const [left, setLeft] = useState(Math.max(1, newest - 1));
  const [right, setRight] = useState(newest);
  const [sources, setSources] = useState<{ left: string; right: string } | null>(null);
  useEffect(() => {
    let live = true;
    Promise.all([left, right].map(v => get<Version>(`/api/v1/workflows/${encodeURIComponent(name)}/versions/${v}`)))
      .then(([a, b]) => { if (live) setSources({ left: a!.source, right: b!.source }); }, () => undefined);
    return () => { live = false; };
  }, [name, left, right]);
  const diff = useMemo(() => (sources ? diffLines(sources.left, sources.right) : []), [sources]);
  const pick = (id: string, label: string, value: number, set: (n: number) => void) => (
    <span>
      <label for={id}>{label}</label>{' '}
      <select id={id} value={value} onChange={e => set(Number((e.target as HTMLSelectElement).value))}>
        {versions.map(v => <option key={v.version} value={v.version}>v{v.version}</option>)}
      </select>
    </span>
  );
  return (
    <div>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Version</th><th scope="col">Saved</th><th scope="col">By</th><th scope="col">Format</th></tr></thead>
          <tbody>{versions.map(v => <tr key={v.version}><td>v{v.version}</td><td>{when(v.createdAt)}</td><td>{v.createdBy}</td><td>{v.format}</td></tr>)}</tbody>
        </table>
      </div>
      {versions.length > 1 && (
        <div class="diff-box">
          <div class="row">{pick('diff-left', 'Compare', left, setLeft)} {pick('diff-right', 'with', right, setRight)}</div>
          <pre class="code diff" aria-label={`Differences between v${left} and v${right}`} tabIndex={0}>
            {diff.map((d, i) => (
              <div key={i} class={`diff-${d.kind}`}>
                <span class="sr-only">{d.kind === 'added' ? 'added: ' : d.kind === 'removed' ? 'removed: ' : ''}</span>
                <span aria-hidden="true">{d.kind === 'added' ? '+ ' : d.kind === 'removed' ? '- ' : '  '}</span>{d.text}
              </div>
            ))}
          </pre>
        </div>
      )}
    </div>
  );
}
