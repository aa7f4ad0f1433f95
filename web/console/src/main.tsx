import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { session } from './api';
import { navigate, onLinkClick, useLocation } from './router';
import { SignIn } from './pages/SignIn';
import { WorkflowsPage } from './pages/Workflows';
import { WorkflowPage } from './pages/Workflow';
import { EditorPage } from './pages/Editor';
import { RunsPage } from './pages/Runs';
import { RunPage } from './pages/Run';
import { ApprovalsPage } from './pages/Approvals';
import { OpsPage } from './pages/Ops';

const nav = [
  { href: '/workflows', label: 'Workflows' },
  { href: '/runs', label: 'Runs' },
  { href: '/approvals', label: 'Approvals' },
  { href: '/ops', label: 'Operations' },
];

function App() {
  const { path, query } = useLocation();
  const [signedIn, setSignedIn] = useState(session.key() !== null);
  useEffect(() => {
    const out = () => { session.signOut(); setSignedIn(false); };
    window.addEventListener('flowkit:unauthorized', out);
    return () => window.removeEventListener('flowkit:unauthorized', out);
  }, []);
  useEffect(() => { document.getElementById('page-title')?.focus(); }, [path]);

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;

  const signOut = () => { session.signOut(); setSignedIn(false); navigate('/'); };
  return (
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#content">Skip to content</a>
      <header class="top">
        <a class="brand" href="/workflows">Flowkit</a>
        <nav aria-label="Main">
          <ul>
            {nav.map(n => (
              <li key={n.href}><a href={n.href} aria-current={path.startsWith(n.href) ? 'page' : undefined}>{n.label}</a></li>
            ))}
          </ul>
        </nav>
        <button type="button" class="link" onClick={signOut}>Sign out</button>
      </header>
      <main id="content">{route(path, query)}</main>
    </div>
  );
}

function route(path: string, query: URLSearchParams) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) { queueMicrotask(() => navigate('/workflows')); return null; }
  const [area, id, sub] = parts;
  switch (area) {
    case 'workflows':
      if (!id) return <WorkflowsPage />;
      if (id === 'new' && !sub) return <EditorPage key="new" />;
      if (sub === 'edit') return <EditorPage key={id} name={id} />;
      return <WorkflowPage key={id} name={id} />;
    case 'runs':
      return id ? <RunPage key={id} id={id} /> : <RunsPage query={query} />;
    case 'approvals':
      return <ApprovalsPage />;
    case 'ops':
      return <OpsPage />;
    default:
      return <section><h1 tabIndex={-1} id="page-title">Not found</h1><p>There is no page at {path}. <a href="/workflows">Go to workflows</a>.</p></section>;
  }
}

render(<App />, document.getElementById('app')!);
