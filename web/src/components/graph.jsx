// The peer graph: every node on a circle, a line per connection, this node marked.

/** A peer id cut to what people compare: its last six characters. */
export function shortId(id) {
  return id && id.length > 12 ? `…${id.slice(-6)}` : id;
}

export function PeerGraph({ local, nodes, edges }) {
  const ids = [...new Set([local, ...nodes.map((n) => n.id), ...edges.flat()])].filter(Boolean);
  const size = 320;
  const radius = ids.length > 1 ? size / 2 - 48 : 0;
  const at = new Map(
    ids.map((id, i) => {
      const angle = (2 * Math.PI * i) / ids.length - Math.PI / 2;
      return [id, [size / 2 + radius * Math.cos(angle), size / 2 + radius * Math.sin(angle)]];
    }),
  );
  const connected = new Set(nodes.filter((n) => n.connected).map((n) => n.id));
  const label = `${ids.length} node(s), ${edges.length} connection(s)`;
  return (
    <svg class="graph" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={`Peer graph: ${label}`}>
      {edges.map(([a, b]) => {
        const [x1, y1] = at.get(a);
        const [x2, y2] = at.get(b);
        return <line x1={x1} y1={y1} x2={x2} y2={y2} class="edge" />;
      })}
      {ids.map((id) => {
        const [x, y] = at.get(id);
        const kind = id === local ? 'local' : connected.has(id) ? 'connected' : 'known';
        return (
          <g class={`peer ${kind}`} data-peer={id}>
            <title>{`${id}${id === local ? ' (this node)' : ''}`}</title>
            <circle cx={x} cy={y} r={id === local ? 11 : 8} />
            <text x={x} y={y + 24} text-anchor="middle">
              {id === local ? 'this node' : shortId(id)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
