import { useState } from 'preact/hooks';
import { ApiError, call, terminal, type Rerun, type Run } from '../api';
import { navigate } from '../router';
import { Alert, message } from '../ui';

/** What went wrong, in plain words, from the API's problem details (docs/run-control.md lists each answer). */
export function explain(action: string, e: unknown): string {
  if (!(e instanceof ApiError)) return `Could not ${action}: ${message(e)}`;
  const why = e.errors.length ? e.errors.map(x => x.message).join(' ') : e.detail;
  switch (e.status) {
    case 409: return `Could not ${action}: ${why}`;
    case 404: return `Could not ${action}: this run does not exist, or your key cannot see it.`;
    case 403: return `Could not ${action}: your key is not allowed to. ${why}`;
    case 429: return `Could not ${action} now: the workspace has too many runs in flight. Try again in a moment.`;
    default: return `Could not ${action}: ${why}`;
  }
}

/** Starts a rerun of an ended run (from the start, or from a step) and opens the new run. */
export async function rerun(runId: string, fromStep: string | null): Promise<void> {
  const answer = await call<Rerun>('POST', `/api/v1/runs/${runId}/rerun`, { json: fromStep ? { fromStep } : {} });
  navigate(`/runs/${answer.runId}`);
}

/**
 * The run controls the run's status allows (docs/run-control.md): pause while it goes on, resume while it is paused,
 * cancel until it ends, and rerun once it has ended, from the start or from a step chosen in the picker.
 */
export function RunControls({ run, onChanged }: { run: Run; onChanged: () => Promise<void> }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [asked, setAsked] = useState<{ action: 'pause' | 'resume'; from: string } | null>(null);
  const firstFailed = run.steps.find(s => s.status === 'failed')?.id ?? '';
  const [from, setFrom] = useState<string>(firstFailed);
  const ended = terminal(run.status);
  const paused = run.status === 'paused';
  // A pause or resume is answered 202 at once; the run's status changes once the engine has taken it.
  const waiting = asked !== null && asked.from === run.status;

  const act = async (action: 'pause' | 'resume' | 'cancel', body?: unknown) => {
    setBusy(action);
    setError(null);
    try {
      await call('POST', `/api/v1/runs/${run.id}/${action}`, body === undefined ? undefined : { json: body });
      if (action !== 'cancel') setAsked({ action, from: run.status });
      await onChanged();
    } catch (e) {
      setError(explain(`${action} the run`, e));
    } finally {
      setBusy(null);
    }
  };
  const startRerun = async (event: Event) => {
    event.preventDefault();
    setBusy('rerun');
    setError(null);
    try {
      await rerun(run.id, from || null);
    } catch (e) {
      setError(explain('rerun the run', e));
      setBusy(null);
    }
  };

  return (
    <div class="run-controls">
      {!ended && (
        <div class="controls" role="group" aria-label="Run controls">
          {!paused && <button type="button" disabled={busy !== null || waiting} onClick={() => void act('pause', { reason: 'Paused from the console' })}>Pause run</button>}
          {paused && <button type="button" disabled={busy !== null || waiting} onClick={() => void act('resume')}>Resume run</button>}
          <button type="button" class="danger" disabled={busy !== null} onClick={() => void act('cancel', { reason: 'Cancelled from the console' })}>Cancel run</button>
        </div>
      )}
      {waiting && <p class="muted small" role="status">{asked.action === 'pause' ? 'Pausing: running steps finish, nothing new starts…' : 'Resuming…'}</p>}
      {paused && !waiting && <p class="muted small">Paused: steps that were running finish; nothing new starts until you resume.</p>}
      {ended && (
        <form class="rerun" onSubmit={e => void startRerun(e)} aria-label="Rerun this run">
          <div>
            <label for="rerun-from">Rerun from</label>
            <select id="rerun-from" value={from} onChange={e => setFrom((e.target as HTMLSelectElement).value)}>
              <option value="">the start (every step runs again)</option>
              {run.steps.map(s => <option key={s.id} value={s.id}>{`step ${s.id} (${s.status})`}</option>)}
            </select>
          </div>
          <button type="submit" disabled={busy !== null}>Rerun</button>
          <p class="muted small">A rerun is a new run with the same input and version. From a step, that step and every step after it run again; the others reuse this run's results and are not called again.</p>
        </form>
      )}
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
