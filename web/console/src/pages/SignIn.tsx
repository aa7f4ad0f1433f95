import { useState } from 'preact/hooks';
import { get, session } from '../api';
import { Alert, message } from '../ui';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    session.signIn(key.trim());
    try {
      await get('/api/v1/workflows?limit=1');
      onSignedIn();
    } catch (err) {
      session.signOut();
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="content">
      <form onSubmit={submit} aria-labelledby="page-title">
        <h1 id="page-title" tabIndex={-1}>Sign in to Flowkit</h1>
        <p class="muted">Paste an API key. It is kept in this browser tab only, until you sign out or close the tab.</p>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" required value={key}
          onInput={e => setKey((e.target as HTMLInputElement).value)} aria-describedby={error ? 'signin-error' : undefined} />
        <button type="submit" disabled={busy || !key.trim()}>{busy ? 'Checking…' : 'Sign in'}</button>
        {error && <div id="signin-error"><Alert>{error}</Alert></div>}
      </form>
    </main>
  );
}
