/** Pure ranking steps of the planner chain, one per zone allocation algorithm. */
export interface Candidate {
  id: string;
  name: string;
  cpuFreeMhz: number;
  memoryFreeMib: number;
  /** VMs of the requesting account already on the host (for user dispersing). */
  accountVms: number;
}

export type Strategy = "first_fit" | "random" | "user_dispersing";

export function rankCandidates(strategy: Strategy, hosts: Candidate[], random: () => number = Math.random): Candidate[] {
  switch (strategy) {
    case "first_fit":
      return [...hosts].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    case "random": {
      const out = [...hosts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
    case "user_dispersing":
      // Fewest of this account's VMs first; among equals, the host with the most free memory.
      return [...hosts].sort((a, b) => a.accountVms - b.accountVms || b.memoryFreeMib - a.memoryFreeMib || a.id.localeCompare(b.id));
  }
}
