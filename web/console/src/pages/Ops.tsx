import { useState } from 'preact/hooks';
import { ApiError, call, get } from '../api';
import { when } from '../format';
import { Alert, Loading, Title, message, useLoad } from '../ui';

interface DeadLetters {
  total: number;
  queues: { queue: string; errorQueue: string; messages: number; sample: { messageId: string; messageType: string; exceptionType: string; reason: string; faultedAt: string }[] }[];
}

/** For operators: queue backlog (when the server offers it) and dead letters with redrive. */
export function OpsPage() {
  const dead = useLoad(() => get<DeadLetters>('/api/v1/ops/dead-letters?sample=10'), []);
  const queues = useLoad(() => get<unknown>('/api/v1/ops/queues').catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e))), []);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const redrive = async (queue: string) => {
    setNote(null);
    setError(null);
    try {
      const r = await call<{ queue: string; redriven: number; remaining: number }>('POST', `/api/v1/ops/dead-letters/${encodeURIComponent(queue)}/redrive`, { json: {} });
      setNote(`${r.redriven} message(s) of ${r.queue} went back to their queue; ${r.remaining} remain in its error queue.`);
      dead.reload();
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <section>
      <Title>Operations</Title>
      <p class="muted">Only an admin key of workspace <code>default</code> may use these (docs/operations.md).</p>
      <h2>Queues</h2>
      {queues.loading ? <Loading what="queues" /> : queues.error ? <Alert>{queues.error}</Alert> : queues.data === null
        ? <p class="muted">This server does not report queue backlog (GET /api/v1/ops/queues is not available).</p>
        : <QueueTable data={queues.data} />}
      <h2>Dead letters</h2>
      {note && <Alert kind="ok">{note}</Alert>}
      {error && <Alert>{error}</Alert>}
      {dead.loading && <Loading what="dead letters" />}
      {dead.error && <Alert>{dead.error}</Alert>}
      {dead.data && dead.data.queues.length === 0 && <p>No dead letters: every error queue is empty.</p>}
      {dead.data?.queues.map(q => (
        <div key={q.queue} class="card">
          <div class="page-head">
            <h3>{q.errorQueue} <span class="muted">({q.messages} message{q.messages === 1 ? '' : 's'})</span></h3>
            <button type="button" onClick={() => redrive(q.queue)}>Redrive to {q.queue}</button>
          </div>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Faulted</th><th scope="col">Message</th><th scope="col">Reason</th></tr></thead>
              <tbody>{q.sample.map(m => <tr key={m.messageId}><td>{when(m.faultedAt)}</td><td>{m.messageType}</td><td>{m.exceptionType}: {m.reason}</td></tr>)}</tbody>
            </table>
          </div>
        </div>
      ))}
    </section>
  );
}

/** The queues answer is drawn generically: its shape is settled by the engineer building that endpoint. */
function QueueTable({ data }: { data: unknown }) {
  const rows = Array.isArray(data) ? data : Array.isArray((data as { queues?: unknown[] })?.queues) ? (data as { queues: unknown[] }).queues : null;
  if (!rows || rows.length === 0 || typeof rows[0] !== 'object') return <pre class="code">{JSON.stringify(data, null, 2)}</pre>;
  const columns = Object.keys(rows[0] as object).filter(k => typeof (rows[0] as Record<string, unknown>)[k] !== 'object');
  return (
    <div class="table-wrap">
      <table>
        <thead><tr>{columns.map(c => <th key={c} scope="col">{c}</th>)}</tr></thead>
        <tbody>{rows.map((r, i) => <tr key={i}>{columns.map(c => <td key={c}>{String((r as Record<string, unknown>)[c] ?? '')}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}
