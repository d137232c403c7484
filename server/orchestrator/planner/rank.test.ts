import { describe, expect, it } from "vitest";
import { prng } from "@/test/prng";
import { type Candidate, rankCandidates, type Strategy } from "./rank";

const strategies: Strategy[] = ["first_fit", "random", "user_dispersing"];

function randomCandidates(r: ReturnType<typeof prng>): Candidate[] {
  const n = r.int(0, 12);
  return Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(r.int(0, 999999)).padStart(6, "0")}${String(i).padStart(6, "0")}`,
    name: `host-${String(r.int(0, 30)).padStart(2, "0")}`,
    cpuFreeMhz: r.int(0, 100_000),
    memoryFreeMib: r.int(0, 8) * 1024,
    accountVms: r.int(0, 4),
  }));
}

describe("planner ranking (pure)", () => {
  it("is a permutation of its input for every strategy, and does not mutate it", () => {
    const r = prng(1);
    for (let i = 0; i < 300; i++) {
      const hosts = randomCandidates(r);
      const copy = structuredClone(hosts);
      for (const s of strategies) {
        const ranked = rankCandidates(s, hosts, r.next);
        expect(ranked.map((c) => c.id).sort()).toEqual(hosts.map((c) => c.id).sort());
        expect(hosts).toEqual(copy);
      }
    }
  });

  it("first fit: by name, then id; deterministic", () => {
    const r = prng(2);
    for (let i = 0; i < 300; i++) {
      const hosts = randomCandidates(r);
      const ranked = rankCandidates("first_fit", hosts);
      for (let k = 1; k < ranked.length; k++) {
        const a = ranked[k - 1]!;
        const b = ranked[k]!;
        expect(a.name < b.name || (a.name === b.name && a.id < b.id), `${a.name}/${a.id} before ${b.name}/${b.id}`).toBe(true);
      }
      expect(rankCandidates("first_fit", [...hosts].reverse())).toEqual(ranked);
    }
  });

  it("user dispersing: fewest of the account's VMs first, then most free memory", () => {
    const r = prng(3);
    for (let i = 0; i < 300; i++) {
      const ranked = rankCandidates("user_dispersing", randomCandidates(r));
      for (let k = 1; k < ranked.length; k++) {
        const a = ranked[k - 1]!;
        const b = ranked[k]!;
        expect(a.accountVms <= b.accountVms).toBe(true);
        if (a.accountVms === b.accountVms) expect(a.memoryFreeMib >= b.memoryFreeMib).toBe(true);
      }
    }
  });

  it("random: uses the given source, and spreads first choices over every host", () => {
    const hosts = randomCandidates(prng(4)).slice(0, 0);
    for (let i = 0; i < 5; i++) hosts.push({ id: `id-${i}`, name: `h-${i}`, cpuFreeMhz: 1, memoryFreeMib: 1, accountVms: 0 });
    const a = rankCandidates("random", hosts, prng(9).next).map((c) => c.id);
    const b = rankCandidates("random", hosts, prng(9).next).map((c) => c.id);
    expect(a).toEqual(b);
    const r = prng(5);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const id = rankCandidates("random", hosts, r.next)[0]!.id;
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    expect(firsts.size).toBe(5);
    // Uniform: each host first about 400 times in 2000; a biased shuffle falls far outside.
    for (const n of firsts.values()) {
      expect(n).toBeGreaterThan(300);
      expect(n).toBeLessThan(500);
    }
  });
});
