/**
 * `npm start`: builds the app only when its sources changed since the last build, then serves it
 * in production mode (`tsx server.ts`). A restart after a crash, or after an upgrade of the data
 * only, skips `next build` and serves again in seconds.
 *
 * What counts as the sources: every file under app/, components/, lib/, server/, db/ and public/
 * (tests excepted), the build's configuration files and package-lock.json (new dependencies), and
 * whether NEXTAUTH_URL is https (next.config.ts reads it at build time). Their SHA-256 is stored in
 * <distDir>/stratus-source-hash after a successful build; a missing or different hash (or a missing
 * BUILD_ID) means build. STRATUS_REBUILD=1 forces a build; `npm run build` + `npm run serve` remain
 * the two halves for those who prefer to build in CI and only serve on the server.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const distDir = path.join(root, process.env.NEXT_DIST_DIR ?? ".next");
const stampFile = path.join(distDir, "stratus-source-hash");
const dirs = ["app", "components", "lib", "server", "db", "public"];
const files = ["next.config.ts", "tsconfig.json", "postcss.config.mjs", "package.json", "package-lock.json", "server.ts"];
const isTest = (name) => /\.(test|spec)\.[cm]?[tj]sx?$/.test(name);

function walk(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && !isTest(e.name)) out.push(p);
  }
}

/** The SHA-256 of every source file's path and content (sorted), plus the build-time settings. */
export function sourceHash() {
  const all = [];
  for (const d of dirs) walk(path.join(root, d), all);
  for (const f of files) if (fs.existsSync(path.join(root, f))) all.push(path.join(root, f));
  all.sort();
  const h = createHash("sha256");
  for (const f of all) {
    h.update(path.relative(root, f));
    h.update("\0");
    h.update(fs.readFileSync(f));
    h.update("\0");
  }
  h.update(`https:${process.env.NEXTAUTH_URL?.startsWith("https://") ? 1 : 0}`);
  return h.digest("hex");
}

function main() {
  const t0 = Date.now();
  const hash = sourceHash();
  const built =
    fs.existsSync(path.join(distDir, "BUILD_ID")) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8").trim() === hash;
  if (built && process.env.STRATUS_REBUILD !== "1") {
    console.log(`[stratus] build is up to date (sources unchanged, checked in ${Date.now() - t0} ms): serving`);
  } else {
    console.log(`[stratus] ${fs.existsSync(stampFile) ? "sources changed" : "no build yet"}: running next build`);
    fs.rmSync(stampFile, { force: true });
    const r = spawnSync("npx", ["next", "build"], { cwd: root, stdio: "inherit", env: process.env });
    if (r.status !== 0) process.exit(r.status ?? 1);
    fs.writeFileSync(stampFile, `${hash}\n`);
  }
  // tsx itself (not through npx, which does not pass signals on), so a SIGTERM reaches the server.
  const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["server.ts"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
