// The console's only way to the server: the public HTTP API (docs/api.md), with the key kept for this tab's session.
const KeyName = 'flowkit.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KeyName),
  signIn: (key: string) => sessionStorage.setItem(KeyName, key),
  signOut: () => sessionStorage.removeItem(KeyName),
};

export interface ProblemError { path: string; message: string; line?: number | null; column?: number | null }

/** An answer that was not 2xx, read from its RFC 9457 problem details. */
export class ApiError extends Error {
  constructor(public status: number, public detail: string, public errors: ProblemError[] = []) {
    super(detail);
  }
}

type Body = { json: unknown } | { yaml: string } | { text: string; type: string } | undefined;

export async function call<T>(method: string, path: string, body?: Body, headers: Record<string, string> = {}): Promise<T> {
  const key = session.key();
  if (!key) throw new ApiError(401, 'Sign in with an API key first.');
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${key}`, Accept: 'application/json', ...headers } };
  if (body && 'json' in body) {
    init.body = JSON.stringify(body.json);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  } else if (body && 'yaml' in body) {
    init.body = body.yaml;
    (init.headers as Record<string, string>)['Content-Type'] = 'application/yaml';
  } else if (body && 'text' in body) {
    init.body = body.text;
    (init.headers as Record<string, string>)['Content-Type'] = body.type;
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const data = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem = (data ?? {}) as { detail?: string; title?: string; errors?: ProblemError[] };
    if (response.status === 401) window.dispatchEvent(new CustomEvent('flowkit:unauthorized'));
    throw new ApiError(response.status, problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`, problem.errors ?? []);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return { detail: text }; }
}

export const get = <T>(path: string) => call<T>('GET', path);

export interface Page<T> { items: T[]; nextCursor: string | null }

export interface Workflow {
  id: string; name: string; description: string | null; version: number; archived: boolean;
  createdAt: string; updatedAt: string; definition: Definition;
}
export interface Definition { name: string; description?: string; triggers?: Record<string, Record<string, unknown>>[]; steps: DefinitionStep[] }
export interface DefinitionStep { id: string; type: string; message?: string; [key: string]: unknown }
export interface VersionSummary { version: number; format: string; createdAt: string; createdBy: string }
export interface Version extends VersionSummary { name: string; latest: boolean; definition: Definition; source: string }

export interface RunSummary {
  id: string; workflow: string; version: number; status: string; error: string | null;
  createdAt: string; startedAt: string | null; finishedAt: string | null;
}
export interface Attempt { number: number; status: string; dispatchedAt: string; startedAt: string | null; finishedAt: string | null; error: string | null }
export interface Step {
  id: string; status: string; attempts: number; output: unknown; error: string | null;
  startedAt: string | null; finishedAt: string | null; attemptHistory: Attempt[];
  /** The earlier run whose recorded result a rerun reused for this step (docs/run-control.md). */
  reusedFrom?: string | null;
}
export interface Run extends RunSummary {
  input: unknown; steps: Step[]; stepCount: number; stepsNextCursor: string | null;
  pausedAt?: string | null; rerunOf?: string | null; rerunFrom?: string | null;
}
/** The answer to POST /api/v1/runs/{id}/rerun. */
export interface Rerun { runId: string; status: string; version: number; rerunOf: string; fromStep: string | null; duplicate: boolean }
export interface RunEvent { sequence: number; type: string; stepId: string | null; attempt: number | null; timestamp: string; traceId: string | null; data: unknown }

export interface GraphStep { id: string; type: string; forEach: boolean; subWorkflow: boolean; join: boolean; root: boolean }
export interface GraphEdge { from: string; to: string; branch: 'then' | 'else' | null }
export interface GraphTrigger { kind: string; key: string | null; hasSecret: boolean; expression: string | null; timeZone: string | null }
export interface Graph { steps: GraphStep[]; edges: GraphEdge[]; triggers: GraphTrigger[] }
export interface Validation { valid: boolean; name: string | null; errors: ProblemError[]; graph: Graph | null }

export const validate = (source: string, format: string) =>
  call<Validation>('POST', '/api/v1/workflows/validate', format === 'json' ? { text: source, type: 'application/json' } : { yaml: source });

/** The workspace of the signed-in key: read from a key list (every key sees its own workspace's keys). */
export async function workspace(): Promise<string> {
  const keys = await get<Page<{ workspace: string }>>('/api/v1/keys?limit=1');
  return keys.items[0]?.workspace ?? 'default';
}

export const terminal = (status: string) => status === 'succeeded' || status === 'failed' || status === 'cancelled';
