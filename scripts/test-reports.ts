/**
 * What a suite's JSON report says: its counts, and each failed test as "file › test: the error's
 * first line" (npm test repeats those in its summary, as CI keeps only the log's tail).
 */
import fs from "node:fs";
import path from "node:path";

// The terminal colours Playwright leaves in its messages.
const ANSI = /\x1b\[[0-9;]*m/g;
const firstLine = (message = "") => message.replace(ANSI, "").trim().split("\n")[0]!.slice(0, 200);

export function vitestCounts(file: string) {
  try {
    const j = JSON.parse(fs.readFileSync(file, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
      testResults: {
        name: string;
        message?: string;
        assertionResults: { status: string; fullName: string; failureMessages?: string[] }[];
      }[];
    };
    const failures = j.testResults.flatMap((f) => {
      const name = path.relative(process.cwd(), f.name);
      const tests = f.assertionResults.filter((t) => t.status === "failed");
      if (!tests.length && f.message) return [`${name}: ${firstLine(f.message)}`];
      return tests.map((t) => `${name} › ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
    });
    return { passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests + j.numTodoTests, failures };
  } catch {
    return { passed: 0, failed: 1, skipped: 0, failures: [`${path.basename(file)}: no report`] };
  }
}

interface PlaywrightSuite {
  title: string;
  suites?: PlaywrightSuite[];
  specs?: { title: string; ok: boolean; tests: { results: { error?: { message?: string } }[] }[] }[];
}
function playwrightFailures(s: PlaywrightSuite, file = s.title): string[] {
  const here = (s.specs ?? [])
    .filter((spec) => !spec.ok)
    .map((spec) => `${file} › ${spec.title}: ${firstLine(spec.tests.at(-1)?.results.at(-1)?.error?.message)}`);
  return [...here, ...(s.suites ?? []).flatMap((child) => playwrightFailures(child, file))];
}

export function playwrightCounts(file: string) {
  try {
    const j = JSON.parse(fs.readFileSync(file, "utf8")) as {
      stats: { expected: number; unexpected: number; flaky: number; skipped: number };
      suites: PlaywrightSuite[];
    };
    const failures = j.suites.flatMap((s) => playwrightFailures(s));
    return { passed: j.stats.expected + j.stats.flaky, failed: j.stats.unexpected, skipped: j.stats.skipped, failures };
  } catch {
    return { passed: 0, failed: 1, skipped: 0, failures: [`${path.basename(file)}: no report`] };
  }
}
