// The DAG picture: a layered left-to-right layout drawn as SVG (no layout library: workflows are small and
// their order is known, so layers by longest path and document order within a layer read well).
import type { Graph } from './api';

const W = 196, H = 52, GapX = 64, GapY = 22, Pad = 16;

interface Props {
  graph: Graph;
  /** Step id to status (a run's picture); absent for a workflow's picture. */
  statuses?: Record<string, string>;
  selected?: string | null;
  onSelect?: (stepId: string) => void;
  label: string;
}

export function Dag({ graph, statuses, selected, onSelect, label }: Props) {
  const { positions, width, height } = layout(graph);
  const describe = graph.steps.map(s => `${s.id} (${s.type}${statuses?.[s.id] ? `, ${statuses[s.id]}` : ''})`).join(', ');
  return (
    <div class="dag-scroll">
      <svg class="dag" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={`${label}: ${describe}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
          </marker>
        </defs>
        {graph.edges.map(e => {
          const a = positions.get(e.from), b = positions.get(e.to);
          if (!a || !b) return null;
          const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
          return (
            <g key={`${e.from}-${e.to}`} class={`dag-edge ${e.branch ?? ''}`}>
              <path d={`M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 2},${y2}`} marker-end="url(#arrow)" />
              {e.branch && <text x={mx} y={(y1 + y2) / 2 - 4} text-anchor="middle" class="dag-branch">{e.branch}</text>}
            </g>
          );
        })}
        {graph.steps.map(s => {
          const p = positions.get(s.id)!;
          const status = statuses?.[s.id];
          const marks = [s.join && 'join', s.forEach && 'for each', s.subWorkflow && 'sub-workflow'].filter(Boolean).join(' · ');
          const select = onSelect ? () => onSelect(s.id) : undefined;
          return (
            <g key={s.id} transform={`translate(${p.x},${p.y})`}
              class={`dag-node type-${s.type} ${status ? `status-${status}` : ''} ${selected === s.id ? 'selected' : ''} ${onSelect ? 'clickable' : ''}`}
              data-step={s.id} data-status={status ?? ''}
              tabIndex={onSelect ? 0 : undefined} role={onSelect ? 'button' : undefined}
              aria-label={`Step ${s.id}, ${s.type}${status ? `, ${status}` : ''}${marks ? `, ${marks}` : ''}`}
              onClick={select} onKeyDown={select && ((ev: KeyboardEvent) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(); } })}>
              <rect width={W} height={H} rx={s.type === 'condition' ? 18 : 6} />
              <text x={10} y={20} class="dag-id">{clip(s.id, 20)}</text>
              <text x={10} y={38} class="dag-type">{s.type}{status ? ` · ${status}` : ''}{marks ? ` · ${marks}` : ''}</text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function layout(graph: Graph) {
  const needs = new Map<string, string[]>();
  graph.steps.forEach(s => needs.set(s.id, []));
  graph.edges.forEach(e => needs.get(e.to)?.push(e.from));
  const layer = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot be valid; draw rather than loop
    seen.add(id);
    const l = Math.max(-1, ...(needs.get(id) ?? []).map(n => visit(n, seen))) + 1;
    layer.set(id, l);
    return l;
  };
  graph.steps.forEach(s => visit(s.id, new Set()));
  const columns: string[][] = [];
  graph.steps.forEach(s => (columns[layer.get(s.id)!] ??= []).push(s.id));
  // One pass of barycentres: a step sits near the steps it needs.
  const row = new Map<string, number>();
  columns.forEach((col, c) => {
    if (c > 0) {
      const centre = (id: string) => {
        const ns = needs.get(id)!.map(n => row.get(n) ?? 0);
        return ns.length ? ns.reduce((x, y) => x + y, 0) / ns.length : 0;
      };
      col.sort((x, y) => centre(x) - centre(y));
    }
    col.forEach((id, r) => row.set(id, r));
  });
  const tallest = Math.max(1, ...columns.map(c => c.length));
  const positions = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => {
    const offset = ((tallest - col.length) * (H + GapY)) / 2;
    col.forEach((id, r) => positions.set(id, { x: Pad + c * (W + GapX), y: Pad + offset + r * (H + GapY) }));
  });
  return { positions, width: Pad * 2 + columns.length * (W + GapX) - GapX, height: Pad * 2 + tallest * (H + GapY) - GapY };
}
