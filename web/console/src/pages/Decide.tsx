import { useState } from 'preact/hooks';
import { call } from '../api';
import { Alert, message } from '../ui';

/** Approve or reject a waiting approval step, with a comment. */
export function Decide({ runId, stepId, onDecided }: { runId: string; stepId: string; onDecided: () => void }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = `comment-${runId}-${stepId}`;
  const decide = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    try {
      await call('POST', `/api/v1/runs/${runId}/approvals/${encodeURIComponent(stepId)}`, { json: { decision, comment: comment || undefined } });
      onDecided();
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="decide" onSubmit={e => { e.preventDefault(); void decide('approve'); }} aria-label={`Decide step ${stepId}`}>
      <label for={field}>Comment (optional)</label>
      <input id={field} value={comment} onInput={e => setComment((e.target as HTMLInputElement).value)} />
      <div class="row">
        <button type="submit" disabled={busy}>Approve</button>
        <button type="button" class="danger" disabled={busy} onClick={() => void decide('reject')}>Reject</button>
      </div>
      {error && <Alert>{error}</Alert>}
    </form>
  );
}
