import { type ChildProcess, spawn } from "node:child_process";
import { expect, type Page, test } from "@playwright/test";
import { login, logins, logout, unique } from "./fixtures";
import { openPage, trpcMutation, trpcQuery } from "./pages";

/**
 * The bill end to end: a reseller sets its retail price (a 50 % margin on the demo's wholesale
 * list), its tenant deploys a Small VM, and within a minute or two the tenant's usage report shows
 * the VM's records and their chart, priced at the reseller's price; the statement charges the same,
 * and the CSV export's rows are the page's, amount for amount.
 *
 * Records only appear once their period is complete, so this spec runs its own server (through
 * scripts/e2e-server.ts, on E2E_PORT + 1, or E2E_BILL_PORT) with a 1-minute usage period and an
 * aggregation every 3 seconds: the other specs keep the shared server's hourly periods (they
 * expect no records and no charges). Screenshots at 1280 and 390 px in test-results/e2e/bill-*.
 */
const port = process.env.E2E_BILL_PORT ?? String(Number(process.env.E2E_PORT ?? "3100") + 1);
const baseURL = `http://localhost:${port}`;
test.use({ baseURL });

let server: ChildProcess | undefined;

test.beforeAll(async () => {
  test.setTimeout(150_000);
  server = spawn("npx", ["tsx", "scripts/e2e-server.ts"], {
    detached: true,
    stdio: "ignore",
    env: {
      ...process.env,
      E2E_PORT: port,
      E2E_DATA_DIR: `${process.env.E2E_DATA_DIR ?? ".test-data/e2e"}-bill`,
      STRATUS_USAGE_PERIOD_MINUTES: "1",
      STRATUS_USAGE_AGGREGATE_MINUTES: "0.05",
    },
  });
  await expect
    .poll(
      () =>
        fetch(`${baseURL}/login`).then(
          (r) => r.status,
          () => 0,
        ),
      { timeout: 140_000, intervals: [500] },
    )
    .toBe(200);
});

test.afterAll(() => {
  if (server?.pid) process.kill(-server.pid, "SIGTERM");
});

/** Small at the demo's wholesale list, per hour running: 1 vCPU × 0.012 + 1 GiB RAM × 0.004; retail 50 % over. */
const RUNNING_PER_HOUR = 0.016 * 1.5;

type Row = Record<string, string>;

/** The export's rows (RFC 4180: this export quotes only the dimensions' JSON, which holds no line break). */
function parseCsv(text: string): Row[] {
  const [head, ...lines] = text.split("\r\n").filter(Boolean);
  const split = (line: string) => {
    const out: string[] = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted && ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = !quoted;
      else if (ch === "," && !quoted) {
        out.push(cur);
        cur = "";
      } else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const keys = split(head!);
  return lines.map((l) => Object.fromEntries(split(l).map((v, i) => [keys[i]!, v])));
}

/** A decimal string (at most 9 decimals, as charges are) in billionths, exactly. */
const nano = (x: string) => {
  const [, sign, int, frac = ""] = /^(-?)(\d+)(?:\.(\d+))?$/.exec(x.trim())!;
  const n = BigInt(int!) * 1_000_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9));
  return sign ? -n : n;
};
const sumNano = (xs: string[]) => xs.reduce((a, x) => a + nano(x), 0n);
const sum = (xs: string[]) => Number(sumNano(xs)) / 1e9;
const eur = (n: number) =>
  new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR", minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(n);

const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/e2e/bill-${name}.png`, fullPage: true });

test("a reseller's price, its tenant's VM: usage records, chart, statement and CSV agree", async ({ page }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1280, height: 900 });

  // The reseller's retail price: 50 % over wholesale, from now (the current 1-minute period).
  await login(page, logins.reseller.username, logins.reseller.password);
  await openPage(page, "/pricing");
  await page.getByLabel("New margin (%)").fill("50");
  await page.getByRole("button", { name: "Change margin" }).click();
  await expect(page.getByRole("table", { name: "Margins" })).toContainText("50 %");
  await logout(page);

  // Its tenant deploys a Small VM, quoted at that price.
  await login(page, logins.tenant.username, logins.tenant.password);
  await openPage(page, "/instances/new");
  await page.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
  await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
  await expect(page.getByTestId("deploy-price-hourly")).toHaveText("€0.0242");
  const name = unique("billed");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop()!;
  const state = () => trpcQuery<{ state: string }>(page, "instance.get", { id }).then((vm) => vm.state);
  await expect.poll(state, { timeout: 60_000 }).toBe("running");

  // Its first record appears once its minute is complete (and the next aggregation has run).
  await openPage(page, `/usage?resourceId=${id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Usage");
  await expect(page.getByText("in periods of 1 minute")).toBeVisible();
  const runningRows = page.getByRole("row").filter({ hasText: "1 RUNNING_VM" });
  await expect(async () => {
    await page.reload();
    await expect(runningRows.first()).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 90_000, intervals: [1000] });

  // The VM goes; its last record comes with the minute it went in.
  await trpcMutation(page, "instance.destroy", { id });
  await expect.poll(state, { timeout: 60_000 }).toBe("destroyed");
  const destroyedAt = Date.now();
  await trpcMutation(page, "instance.expunge", { id });
  await expect
    .poll(() => state().catch((e: Error) => (/NOT_FOUND/.test(e.message) ? "gone" : e.message)), { timeout: 60_000 })
    .toBe("gone");

  await openPage(page, `/usage?resourceId=${id}`);
  const csvHref = (await page.getByRole("link", { name: "Export CSV" }).getAttribute("href"))!;
  expect(csvHref).toContain(`resourceId=${id}`);
  const goneAt = Date.now();
  const exported = async (href = csvHref) => parseCsv(await (await page.request.get(href)).text());
  // Final once the aggregation has passed the stop: a running record of the VM ends after the
  // destroy was seen (then it is the last), or a record of the account (its source-NAT address
  // still counts) ends after the VM was gone; and every record of the VM is rated.
  await expect
    .poll(
      async () => {
        const rows = await exported();
        const passed =
          rows.some((r) => r.usage_type === "1" && Date.parse(r.period_end!) >= destroyedAt) ||
          (await exported(csvHref.replace(`resourceId=${id}`, ""))).some((r) => Date.parse(r.period_end!) >= goneAt);
        return passed && rows.length > 0 && rows.every((r) => r.amount !== "");
      },
      { timeout: 100_000, intervals: [2000] },
    )
    .toBe(true);
  const rows = await exported();
  const running = rows.filter((r) => r.usage_type === "1");

  // Every running record is priced at the reseller's price: seconds × 0.024 EUR per hour, to the ninth decimal.
  for (const r of running) {
    expect(r.resource_name).toBe(name);
    expect(r.currency).toBe("EUR");
    expect(Date.parse(r.period_end!) - Date.parse(r.period_start!)).toBe(60_000);
    expect(Math.abs(Number(r.amount) - (Number(r.seconds) * RUNNING_PER_HOUR) / 3600)).toBeLessThan(1e-9);
    expect(Number(r.amount)).toBeGreaterThan(0);
  }

  // The page shows the same records with the same amounts (the exact decimal is each amount's title).
  await page.reload();
  await expect(page.getByTestId("usage-chart").locator("svg")).toBeVisible();
  await expect(page.getByTestId("usage-charges-chart").locator("svg")).toBeVisible();
  await expect(page.getByTestId("usage-charges-total")).toContainText(`Total ${eur(sum(rows.map((r) => r.amount!)))}`);
  await expect(runningRows).toHaveCount(running.length);
  const shown = await runningRows.evaluateAll((trs) =>
    trs.map((tr) => tr.querySelector("span[title$=' EUR']")?.getAttribute("title") ?? "none"),
  );
  expect(shown.sort()).toEqual(running.map((r) => `${r.amount} EUR`).sort());
  await shot(page, "usage-1280");
  // On a phone, opened afresh: the page never pans sideways.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.reload();
  await expect(page.getByTestId("usage-charges-total")).toBeVisible();
  await expect(runningRows.first()).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await shot(page, "usage-390");
  // Nor does the records table: each row fits, its amount under the quantity.
  const rowBox = (await runningRows.first().boundingBox())!;
  expect(rowBox.x + rowBox.width).toBeLessThanOrEqual(390);
  await expect(runningRows.first().getByTestId("record-amount-phone")).toHaveText(/^€\d/);
  await page.setViewportSize({ width: 1280, height: 900 });

  // The bill: the account owes (its balance is below zero, in red), and the month's statement
  // charges the VM's running time line for line, at exactly the CSV's amount.
  await openPage(page, "/billing");
  await expect(page.getByTestId("balance-EUR")).toHaveClass(/text-red-700/);
  // Minutes of a small VM cost less than a cent: the debt shows its digits, not "0.00".
  await expect(page.getByTestId("balance-EUR")).toHaveText(/^−\d[\d,]*\.\d*[1-9]\d* EUR$/);
  await expect(page.getByText("Spent this month EUR")).toBeVisible();
  await page.getByRole("link", { name: "View / print" }).first().click();
  await expect(page.getByText("Statement of account")).toBeVisible();
  await expect(page.getByRole("row", { name: /RUNNING_VM/ })).toContainText(`(${running.length} lines)`);
  await shot(page, "statement-1280");
  const statementHref = (await page.getByRole("link", { name: "Download CSV" }).getAttribute("href"))!;
  const statement = parseCsv(await (await page.request.get(statementHref)).text());
  const charged = statement.filter((r) => r.section === "charge" && r.usage_type === "1");
  expect(charged).toHaveLength(1);
  expect(nano(charged[0]!.amount!)).toBe(-sumNano(running.map((r) => r.amount!)));
  expect(charged[0]!.currency).toBe("EUR");
});
