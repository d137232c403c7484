"use client";
import type { RouterOutputs } from "@/components/resource/router-types";

type Rule = RouterOutputs["networkRule"]["list"][number];
interface Vm {
  nicId: string;
  instanceName: string;
  ip: string | null;
}
interface Ip {
  id: string;
  address: string;
  isSourceNat: boolean;
}

const ports = (a: number | null, b: number | null) => (a === null ? "" : a === b ? `${a}` : `${a}-${b}`);

/** One line per rule of an address, as the diagram writes it beside the address. */
function ruleLine(r: Rule): string {
  switch (r.kind) {
    case "static_nat":
      return `static NAT → ${r.instanceName ?? "?"}`;
    case "port_forward":
      return `${r.protocol} ${ports(r.startPort, r.endPort)} → ${r.instanceName ?? "?"}:${ports(r.privateStartPort, r.privateEndPort)}${r.reachable ? "" : " (closed)"}`;
    case "load_balancer":
      return `LB ${r.name} :${r.startPort} → ${r.members.length} VM${r.members.length === 1 ? "" : "s"}${r.reachable ? "" : " (closed)"}`;
    case "firewall":
      return `allow ${r.protocol}${r.startPort === null ? "" : ` ${ports(r.startPort, r.endPort)}`} from ${r.cidrs.join(", ")}`;
    default:
      return "";
  }
}

const colour: Record<string, string> = { static_nat: "#7c3aed", port_forward: "#0369a1", load_balancer: "#047857" };

/**
 * The network as a picture: the internet, the router with its public addresses and their rules on
 * the left, the guest network (CIDR, gateway) and its instances on the right, and a line from each
 * address to every instance its NAT, forwards or load balancers reach. Plain SVG; the tables below
 * hold the same facts for screen readers (this is one image with a summary).
 */
export function NetworkDiagram({
  name,
  cidr,
  gateway,
  ips,
  rules,
  vms,
}: {
  name: string;
  cidr: string | null;
  gateway: string | null;
  ips: Ip[];
  rules: Rule[];
  vms: Vm[];
}) {
  const lineH = 14;
  const ipBlocks = ips.map((ip) => {
    const lines = rules.filter((r) => r.publicIpId === ip.id && r.kind !== "egress").map(ruleLine);
    return { ip, lines, h: 26 + Math.max(lines.length, 1) * lineH };
  });
  // Each address block starts below the ones before it.
  const ipPos = ipBlocks.map((b, i) => ({ ...b, top: 40 + ipBlocks.slice(0, i).reduce((sum, x) => sum + x.h + 10, 0) }));
  const y = 40 + ipBlocks.reduce((sum, x) => sum + x.h + 10, 0);
  const vmTop = 60;
  const vmH = 40;
  const height = Math.max(y + 10, vmTop + vms.length * (vmH + 10) + 20, 200);
  const routerY = height / 2 - 30;
  const vmY = new Map(vms.map((v, i) => [v.nicId, vmTop + i * (vmH + 10) + vmH / 2]));
  const links = rules.flatMap((r) => {
    const from = ipPos.find((p) => p.ip.id === r.publicIpId);
    if (!from) return [];
    const nicIds = r.kind === "load_balancer" ? r.members.map((m) => m.nicId) : r.nicId ? [r.nicId] : [];
    return nicIds
      .filter((n) => vmY.has(n))
      .map((n) => ({
        key: `${r.id}-${n}`,
        y1: from.top + 13,
        y2: vmY.get(n)!,
        stroke: colour[r.kind] ?? "#64748b",
        dashed: r.reachable === false,
      }));
  });
  const summary = `${name}: ${ips.length} public address(es), ${rules.length} rule(s), ${vms.length} instance(s) on ${cidr ?? "no subnet"}.`;
  return (
    // Focusable: on a phone the picture scrolls sideways, and keyboards must reach it.
    <div className="overflow-x-auto p-4" tabIndex={0} role="group" aria-label="Network diagram, scrolls sideways on small screens">
      <svg
        role="img"
        aria-labelledby="net-diagram-title net-diagram-desc"
        viewBox={`0 0 720 ${height}`}
        className="w-full min-w-[600px]"
        style={{ maxHeight: 520 }}
        data-testid="network-diagram"
      >
        <title id="net-diagram-title">Diagram of network {name}</title>
        <desc id="net-diagram-desc">{summary}</desc>
        <text x={10} y={20} fontSize={12} fontWeight={600} fill="#334155">
          Internet · public addresses
        </text>
        {ipPos.length === 0 && (
          <text x={10} y={56} fontSize={12} fill="#64748b">
            No public address
          </text>
        )}
        {ipPos.map((b) => (
          <g key={b.ip.id}>
            <rect x={10} y={b.top} width={250} height={b.h} rx={6} fill="#f8fafc" stroke="#cbd5e1" />
            <text x={20} y={b.top + 17} fontSize={12} fontFamily="monospace" fontWeight={600} fill="#0f172a">
              {b.ip.address}
              {b.ip.isSourceNat ? "  (source NAT)" : ""}
            </text>
            {(b.lines.length ? b.lines : ["no rules: nothing comes in"]).map((l, i) => (
              <text key={i} x={20} y={b.top + 32 + i * lineH} fontSize={10.5} fill={b.lines.length ? "#334155" : "#64748b"}>
                {l.length > 44 ? `${l.slice(0, 43)}…` : l}
              </text>
            ))}
            <line x1={260} y1={b.top + 13} x2={300} y2={routerY + 30} stroke="#94a3b8" />
          </g>
        ))}
        <rect x={300} y={routerY} width={90} height={60} rx={8} fill="#1e293b" />
        <text x={345} y={routerY + 26} fontSize={12} fill="#fff" textAnchor="middle" fontWeight={600}>
          Router
        </text>
        <text x={345} y={routerY + 44} fontSize={10} fill="#cbd5e1" textAnchor="middle" fontFamily="monospace">
          {gateway ?? ""}
        </text>
        <line x1={390} y1={routerY + 30} x2={440} y2={routerY + 30} stroke="#94a3b8" strokeWidth={2} />
        <line x1={440} y1={40} x2={440} y2={height - 10} stroke="#94a3b8" strokeWidth={3} />
        <text x={450} y={20} fontSize={12} fontWeight={600} fill="#334155">
          Guest network {cidr ?? ""}
        </text>
        {links.map((l) => (
          <path
            key={l.key}
            d={`M 260 ${l.y1} C 350 ${l.y1}, 380 ${l.y2}, 470 ${l.y2}`}
            fill="none"
            stroke={l.stroke}
            strokeWidth={1.5}
            strokeDasharray={l.dashed ? "4 3" : undefined}
            opacity={0.8}
          />
        ))}
        {vms.length === 0 && (
          <text x={460} y={76} fontSize={12} fill="#64748b">
            No instance yet
          </text>
        )}
        {vms.map((v, i) => (
          <g key={v.nicId}>
            <line x1={440} y1={vmTop + i * (vmH + 10) + vmH / 2} x2={470} y2={vmTop + i * (vmH + 10) + vmH / 2} stroke="#94a3b8" />
            <rect x={470} y={vmTop + i * (vmH + 10)} width={240} height={vmH} rx={6} fill="#fff" stroke="#94a3b8" />
            <text x={480} y={vmTop + i * (vmH + 10) + 17} fontSize={12} fontWeight={600} fill="#0f172a">
              {v.instanceName.length > 30 ? `${v.instanceName.slice(0, 29)}…` : v.instanceName}
            </text>
            <text x={480} y={vmTop + i * (vmH + 10) + 32} fontSize={10.5} fontFamily="monospace" fill="#334155">
              {v.ip ?? "no address"}
            </text>
          </g>
        ))}
      </svg>
      <p className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
        <span>
          <span aria-hidden className="mr-1 inline-block h-0.5 w-4 align-middle" style={{ background: colour.static_nat }} />
          static NAT
        </span>
        <span>
          <span aria-hidden className="mr-1 inline-block h-0.5 w-4 align-middle" style={{ background: colour.port_forward }} />
          port forward
        </span>
        <span>
          <span aria-hidden className="mr-1 inline-block h-0.5 w-4 align-middle" style={{ background: colour.load_balancer }} />
          load balancer
        </span>
        <span>dashed: no firewall rule lets it in (closed)</span>
      </p>
    </div>
  );
}
