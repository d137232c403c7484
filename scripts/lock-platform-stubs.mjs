/**
 * npm run lock:stubs — after `npm install`, re-adds lock entries for other platforms' optional
 * binaries (Next's SWC, Tailwind's oxide) that the registry mirror of our build machines does not
 * serve: npm drops them from package-lock.json when it cannot fetch them, and `npm ci` then
 * refuses the lock as out of sync. The entries carry os/cpu, so npm never tries to fetch them here.
 */
import fs from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const pkgs = lock.packages;
let added = 0;
for (const entry of Object.values(pkgs)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key]) continue;
    const base = name.split("/").pop();
    const os = ["darwin", "win32", "freebsd", "android", "linux"].find((o) => base.includes(o));
    const cpu = ["arm64", "x64", "arm", "ia32", "wasm32"].find((c) => new RegExp(`(^|-)${c}($|-)`).test(base));
    pkgs[key] = { version, optional: true, ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}) };
    added++;
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock:stubs: added ${added} platform entries`);
