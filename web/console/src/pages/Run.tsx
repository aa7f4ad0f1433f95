import { useEffect, useRef, useState } from 'preact/hooks';
import { get, session, terminal, validate, type Graph, type Page, type Run, type RunEvent, type Step, type Version } from '../api';
import { Dag } from '../dag';
import { duration, pretty, when } from '../format';
import { Alert, Loading, Status, Title, message } from '../ui';
import { Decide } from './Decide';
import { RunControls, explain, rerun } from './RunControls';

/** One run: the DAG coloured by step status, each step's attempts, output and error, and the live timeline. */
export function RunPage({ id }: { id: string }) {
  const [run, setRun] = useState<Run | null>(null);
  const [graph, setGraph] = useState<Graph | null>(null);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [live, setLive] = useState<'stream' | 'polling' | 'ended' | 'connecting'>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const refreshing = useRef(false);
  const ended = useRef(false);

  const refresh = async () => {
    if (refreshing.current) return;
    refreshing.current = true;
    try {
      const r = await get<Run>(`/api/v1/runs/${id}`);
      let steps = r.steps;
      for (let next = r.stepsNextCursor; next;) {
        const page = await get<Page<Step>>(`/api/v1/runs/${id}/steps?limit=500&cursor=${encodeURIComponent(next)}`);
        steps = [...steps, ...page.items];
        next = page.nextCursor;
      }
      setRun({ ...r, steps });
      ended.current = terminal(r.status);
      setError(null);
    } catch (e) {
      setError(message(e));
    } finally {
      refreshing.current = false;
    }
  };

  const addEvents = (more: RunEvent[]) => {
    if (more.length === 0) return;
    setEvents(old => {
      const seen = new Set(old.map(e => e.sequence));
      const added = more.filter(e => !seen.has(e.sequence));
      return added.length ? [...old, ...added].sort((a, b) => a.sequence - b.sequence) : old;
    });
  };

  useEffect(() => {
    void refresh();
  }, [id]);

  // The picture of the version the run is pinned to.
  useEffect(() => {
    if (!run) return;
    let on = true;
    get<Version>(`/api/v1/workflows/${encodeURIComponent(run.workflow)}/versions/${run.version}`)
      .then(v => validate(JSON.stringify(v.definition), 'json'))
      .then(v => { if (on) setGraph(v.graph); }, () => undefined);
    return () => { on = false; };
  }, [run?.workflow, run?.version]);

  // Live: the SSE stream when the server offers it, else the timeline polled with its cursor.
  useEffect(() => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (cursor: string | null) => {
      if (stop.signal.aborted) return;
      let next = cursor;
      try {
        const page = await get<Page<RunEvent>>(`/api/v1/runs/${id}/events?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        addEvents(page.items);
        if (page.items.length) await refresh();
        // nextCursor is null on the last page so far: ask again from the same place (events are deduplicated).
        next = page.nextCursor ?? cursor;
        if (page.nextCursor) { void poll(next); return; }
      } catch { /* keep polling: a blip of the network or the server */ }
      if (ended.current) { await refresh(); setLive('ended'); return; }
      timer = setTimeout(() => void poll(next), 1000);
    };
    const stream = async () => {
      try {
        const response = await fetch(`/api/v1/runs/${id}/events/stream`, {
          headers: { Authorization: `Bearer ${session.key() ?? ''}`, Accept: 'text/event-stream' },
          signal: stop.signal,
        });
        if (!response.ok || !response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
          throw new Error('no stream');
        }
        setLive('stream');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = block.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n');
            if (!data) continue;
            try {
              const event = JSON.parse(data) as RunEvent;
              if (typeof event.sequence === 'number') addEvents([event]);
            } catch { /* not an event: still a sign that something happened */ }
            void refresh();
          }
        }
        await refresh();
        if (ended.current) { setLive('ended'); return; }
        throw new Error('stream closed');
      } catch {
        if (stop.signal.aborted) return;
        setLive('polling');
        void poll(null);
      }
    };
    void stream();
    return () => { stop.abort(); if (timer) clearTimeout(timer); };
  }, [id]);

  if (error && !run) return <section><Title>Run</Title><Alert>{error}</Alert></section>;
  if (!run) return <Loading what="the run" />;

  const statuses = Object.fromEntries(run.steps.map(s => [s.id, s.status]));
  const rerunFromStep = async (stepId: string) => {
    setActionError(null);
    try {
      await rerun(run.id, stepId);
    } catch (e) {
      setActionError(explain('rerun the run', e));
    }
  };
  const approvalSteps = graph?.steps.filter(s => s.type === 'approval').map(s => s.id) ?? [];

  return (
    <section>
      <div class="page-head">
        <Title>{`Run of ${run.workflow}`}</Title>
      </div>
      <p>
        <span data-testid="run-status"><Status status={run.status} /></span>{' '}
        <a href={`/workflows/${encodeURIComponent(run.workflow)}`}>{run.workflow}</a> v{run.version} · <code>{run.id}</code> · started {when(run.startedAt ?? run.createdAt)} · {duration(run.startedAt, run.finishedAt)}{' '}
        <span class="muted" role="status">({live === 'stream' ? 'live' : live === 'polling' ? 'live, refreshing every second' : live === 'ended' ? 'finished' : 'connecting'})</span>
      </p>
      {run.rerunOf && <p>A rerun of <a href={`/runs/${run.rerunOf}`}>run <code>{run.rerunOf}</code></a>{run.rerunFrom ? <> from step <code>{run.rerunFrom}</code></> : ' from the start'}.</p>}
      {run.error && <Alert>{run.error}</Alert>}
      <RunControls run={run} onChanged={refresh} />
      {actionError && <Alert>{actionError}</Alert>}

      <h2>Steps</h2>
      {graph ? <Dag graph={graph} statuses={statuses} selected={selected} onSelect={s => { setSelected(s); document.getElementById(`step-${s}`)?.scrollIntoView({ block: 'nearest' }); }} label={`Steps of this run`} /> : <Loading what="the picture" />}

      <div class="steps">
        {run.steps.map(s => (
          <details key={s.id} id={`step-${s.id}`} open={selected === s.id || s.status === 'failed' || (s.status === 'waiting' && approvalSteps.includes(s.id))} class={`step status-${s.status}`}>
            <summary><strong>{s.id}</strong> <Status status={s.status} /> <span class="muted">{s.reusedFrom ? 'reused from the earlier run · ' : ''}{s.attempts > 1 ? `${s.attempts} attempts · ` : ''}{duration(s.startedAt, s.finishedAt)}</span></summary>
            {terminal(run.status) && <p><button type="button" class="small" aria-label={`Rerun from step ${s.id}`} onClick={() => void rerunFromStep(s.id)}>Rerun from here</button></p>}
            {s.reusedFrom && <p class="muted small">Not run again: this rerun reused the result of <a href={`/runs/${s.reusedFrom}`}>run <code>{s.reusedFrom}</code></a>.</p>}
            {s.status === 'waiting' && approvalSteps.includes(s.id) && <Decide runId={run.id} stepId={s.id} onDecided={refresh} />}
            {s.error && <><h3>Error</h3><pre class="code error-text">{s.error}</pre></>}
            {s.output !== null && s.output !== undefined && <><h3>Output</h3><pre class="code">{pretty(s.output)}</pre></>}
            {s.attemptHistory.length > 0 && (
              <table class="attempts">
                <caption>Attempts</caption>
                <thead><tr><th scope="col">#</th><th scope="col">Status</th><th scope="col">Dispatched</th><th scope="col">Took</th><th scope="col">Error</th></tr></thead>
                <tbody>{s.attemptHistory.map(a => (
                  <tr key={a.number}><td>{a.number}</td><td>{a.status}</td><td>{when(a.dispatchedAt)}</td><td>{duration(a.startedAt, a.finishedAt)}</td><td>{a.error ?? ''}</td></tr>
                ))}</tbody>
              </table>
            )}
          </details>
        ))}
      </div>

      <h2>Input</h2>
      <pre class="code">{pretty(run.input)}</pre>
      <p class="muted small">A step's own input is its definition's settings evaluated at run time; the API shows outputs and errors (secrets masked), not evaluated inputs.</p>

      <h2>Timeline</h2>
      <ol class="timeline" aria-label="Events of this run, oldest first">
        {events.map(e => (
          <li key={e.sequence} data-type={e.type}>
            <time dateTime={e.timestamp}>{when(e.timestamp)}</time> <strong>{e.type}</strong>
            {e.stepId && <> · step <code>{e.stepId}</code></>}{e.attempt ? <> · attempt {e.attempt}</> : null}
            {e.data !== null && e.data !== undefined && <details><summary>details</summary><pre class="code">{pretty(e.data)}</pre></details>}
          </li>
        ))}
      </ol>
    </section>
  );
}
