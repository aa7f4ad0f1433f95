import { useEffect, useRef, useState } from 'preact/hooks';
import { call, get, validate, type Graph, type ProblemError, type Version, type Workflow } from '../api';
import { Dag } from '../dag';
import { navigate } from '../router';
import { Alert, Loading, Title, message } from '../ui';
import { StartRun } from './StartRun';

const starter = `name: my-workflow
description: What this workflow does, in one line
steps:
  - id: greet
    type: transform
    with:
      message: "Hello {{ input.name }}"
`;

/** The editor: YAML (or JSON) checked by the server's own validator as you type, with the DAG beside it. */
export function EditorPage({ name }: { name?: string }) {
  const [source, setSource] = useState<string | null>(name ? null : starter);
  const [problems, setProblems] = useState<ProblemError[]>([]);
  const [graph, setGraph] = useState<Graph | null>(null);
  const [checking, setChecking] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const sequence = useRef(0);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!name) return;
    get<Workflow>(`/api/v1/workflows/${encodeURIComponent(name)}`)
      .then(w => get<Version>(`/api/v1/workflows/${encodeURIComponent(name)}/versions/${w.version}`))
      .then(v => setSource(v.source), e => setLoadError(message(e)));
  }, [name]);

  // Validate as you type: wait for a pause, and keep only the answer to the latest text.
  useEffect(() => {
    if (source === null) return;
    const mine = ++sequence.current;
    setChecking(true);
    const timer = setTimeout(() => {
      validate(source, source.trimStart().startsWith('{') ? 'json' : 'yaml').then(
        v => {
          if (mine !== sequence.current) return;
          setProblems(v.errors);
          if (v.graph) setGraph(v.graph);
          setChecking(false);
        },
        e => {
          if (mine !== sequence.current) return;
          setProblems([{ path: '$', message: message(e), line: null }]);
          setChecking(false);
        });
    }, 300);
    return () => clearTimeout(timer);
  }, [source]);

  if (loadError) return <section><Title>{`Edit ${name}`}</Title><Alert>{loadError}</Alert></section>;
  if (source === null) return <Loading what="the definition" />;

  const lines = source.split('\n');
  const byLine = new Map<number, string[]>();
  problems.forEach(p => { if (p.line) byLine.set(p.line, [...(byLine.get(p.line) ?? []), p.message]); });

  const goTo = (line: number) => {
    const el = area.current;
    if (!el) return;
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    el.focus();
    el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    el.scrollTop = Math.max(0, (line - 3) * 20);
  };

  const save = async () => {
    setBusy(true);
    setSaveError(null);
    setSaved(null);
    const json = source.trimStart().startsWith('{');
    const body = json ? { text: source, type: 'application/json' } : { yaml: source };
    try {
      if (name) {
        const r = await call<{ version: number; changed: boolean }>('PUT', `/api/v1/workflows/${encodeURIComponent(name)}`, body);
        setSaved(r.changed ? `Saved as version ${r.version}.` : `Nothing changed: version ${r.version} is the same definition.`);
      } else {
        const r = await call<{ name: string; version: number }>('POST', '/api/v1/workflows', body);
        navigate(`/workflows/${encodeURIComponent(r.name)}`);
      }
    } catch (e) {
      setSaveError(message(e));
      const errors = (e as { errors?: ProblemError[] }).errors;
      if (errors?.length) setProblems(errors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <div class="page-head">
        <Title>{name ? `Edit ${name}` : 'New workflow'}</Title>
        <button type="button" onClick={save} disabled={busy || problems.length > 0 || checking}>{busy ? 'Saving…' : name ? 'Save as new version' : 'Create workflow'}</button>
      </div>
      <p class="muted">Write the workflow in YAML (or JSON); see the workflow language guide in docs/workflow-language.md. It is checked as you type.</p>
      <div class="editor-grid">
        <div>
          <label for="definition">Definition</label>
          <div class="editor">
            <div class="gutter" ref={gutter} aria-hidden="true">
              {lines.map((_, i) => (
                <div key={i} class={byLine.has(i + 1) ? 'bad' : ''} title={byLine.get(i + 1)?.join('\n')}>{i + 1}</div>
              ))}
            </div>
            <textarea id="definition" ref={area} spellcheck={false} autocapitalize="off" autocomplete="off" wrap="off" value={source}
              aria-describedby="problems" aria-invalid={problems.length > 0 ? true : undefined}
              onInput={e => setSource((e.target as HTMLTextAreaElement).value)}
              onScroll={e => { if (gutter.current) gutter.current.scrollTop = (e.target as HTMLTextAreaElement).scrollTop; }}
              onKeyDown={e => {
                // Tab indents (two spaces) instead of leaving the field; Escape then Tab leaves it.
                if (e.key === 'Tab' && !e.shiftKey && !(e.target as HTMLTextAreaElement).dataset['escaped']) {
                  e.preventDefault();
                  document.execCommand('insertText', false, '  ');
                }
                (e.target as HTMLTextAreaElement).dataset['escaped'] = e.key === 'Escape' ? '1' : '';
              }} />
          </div>
          <p class="muted small">Tab indents; press Escape, then Tab, to leave the editor.</p>
        </div>
        <div>
          <div id="problems" aria-live="polite">
            {checking ? <p class="muted">Checking…</p> : problems.length === 0 ? <Alert kind="ok">No problems: the definition is valid.</Alert> : (
              <div class="problems" role="alert">
                <h2>{problems.length} problem{problems.length > 1 ? 's' : ''}</h2>
                <ul>
                  {problems.map((p, i) => (
                    <li key={i} data-line={p.line ?? ''}>
                      {p.line ? <button type="button" class="link" onClick={() => goTo(p.line!)}>Line {p.line}</button> : <span>{p.path}</span>}: {p.message}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
          {saveError && <Alert>{saveError}</Alert>}
          {saved && <Alert kind="ok">{saved} <a href={`/workflows/${encodeURIComponent(name!)}`}>Back to {name}</a></Alert>}
          <h2>Picture</h2>
          {graph ? <Dag graph={graph} label="Steps of this definition" /> : <p class="muted">The picture appears once the definition is valid.</p>}
          {name && <StartRun workflow={name} onStarted={id => navigate(`/runs/${id}`)} />}
        </div>
      </div>
    </section>
  );
}
