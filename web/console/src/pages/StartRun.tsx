import { useState } from 'preact/hooks';
import { call } from '../api';
import { Alert, message } from '../ui';

/** Starts a run with a JSON input; the input is checked before it is sent. */
export function StartRun({ workflow, onStarted }: { workflow: string; onStarted: (runId: string) => void }) {
  const [input, setInput] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = input.trim() ? JSON.parse(input) : null;
    } catch (err) {
      setError(`The input is not valid JSON: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      const started = await call<{ runId: string }>('POST', `/api/v1/workflows/${encodeURIComponent(workflow)}/runs`, { json: { input: parsed } });
      onStarted(started.runId);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="start-run-title">
      <h2 id="start-run-title">Start a run</h2>
      <label for="run-input">Input (JSON, available as <code>input</code> in expressions)</label>
      <textarea id="run-input" rows={4} spellcheck={false} value={input} onInput={e => { setInput((e.target as HTMLTextAreaElement).value); setError(null); }}
        aria-invalid={error ? true : undefined} aria-describedby={error ? 'run-input-error' : undefined} />
      {error && <div id="run-input-error"><Alert>{error}</Alert></div>}
      <button type="submit" disabled={busy}>{busy ? 'Starting…' : 'Start run'}</button>
    </form>
  );
}
