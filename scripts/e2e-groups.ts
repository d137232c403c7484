/**
 * The Playwright specs in two groups at once, each against its own server (port 3100 + 10 i, its own
 * fresh PGlite data directory), so that neither group sees the other's VMs, limits or policies.
 * Most of a spec's time is waiting (jobs, polling), which the other group fills; one worker per
 * server keeps each group's order as before. Specs that use the real libvirtd stay in group 0: two
 * servers would both name their first VM i-1 on the one libvirtd.
 *
 *   npx tsx scripts/e2e-groups.ts [--groups 2] [--json-dir DIR] [files…]
 *
 * Exits non-zero when any group failed; each group's JSON report is DIR/e2e-<i>.json.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    groups: { type: "string", default: process.env.E2E_GROUPS ?? "2" },
    "json-dir": { type: "string", default: "test-results" },
  },
});

/** Specs on the real libvirtd: always in group 0. */
const LIBVIRT_SPECS = ["console-libvirt.spec.ts", "libvirt.spec.ts"];
function specFiles(): string[] {
  if (positionals.length) return positionals.map((f) => path.basename(f));
  return fs
    .readdirSync("e2e")
    .filter((f) => f.endsWith(".spec.ts"))
    .filter((f) => process.env.SCREENSHOTS || f !== "screenshots.spec.ts")
    .sort();
}

/** The libvirt specs in group 0, then each other spec, by name, into the group with the fewest. */
export function split(files: string[], n: number): string[][] {
  const groups: string[][] = Array.from({ length: n }, () => []);
  groups[0]!.push(...files.filter((f) => LIBVIRT_SPECS.includes(f)));
  for (const f of files.filter((f) => !LIBVIRT_SPECS.includes(f)).sort()) {
    groups.reduce((a, b) => (b.length < a.length ? b : a)).push(f);
  }
  return groups.map((g) => g.sort()).filter((g) => g.length > 0);
}

function runGroup(i: number, files: string[], jsonDir: string): Promise<number> {
  const tag = `[e2e ${i}] `;
  const child = spawn("npx", ["playwright", "test", ...files.map((f) => `e2e/${f}`)], {
    env: {
      ...process.env,
      // Ten ports a group: e2e/bill.spec.ts starts its own server on E2E_PORT + 1.
      E2E_PORT: String(3100 + 10 * i),
      E2E_DATA_DIR: `.test-data/e2e-${i}`,
      E2E_OUTPUT_DIR: `test-results/e2e-${i}`,
      E2E_JSON: "1",
      PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(jsonDir, `e2e-${i}.json`),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Each line tagged with its group, so the two reports can be read apart in one log.
  const relay = (from: NodeJS.ReadableStream, to: NodeJS.WriteStream) => {
    let rest = "";
    from.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) to.write(tag + line + "\n");
    });
    from.on("end", () => rest && to.write(tag + rest + "\n"));
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

async function main() {
  const jsonDir = path.resolve(args["json-dir"]);
  fs.mkdirSync(jsonDir, { recursive: true });
  const groups = split(specFiles(), Math.max(1, Number(args.groups)));
  groups.forEach((g, i) => console.log(`[e2e ${i}] ${g.length} specs: ${g.join(" ")}`));
  const codes = await Promise.all(groups.map((g, i) => runGroup(i, g, jsonDir)));
  process.exit(codes.some((c) => c !== 0) ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) void main();
