import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { testDbKind } from "@/test/db";
import { deployChoicesByName } from "@/test/orchestrator";
import { startPortalNode } from "@/test/portal-node";
import { simulatorCloud } from "@/test/simulator-cloud";
import { issueApiKey, type IssuedKey } from "@/server/services/api-keys";

/**
 * A CloudStack client others wrote, from Debian's packages: `cloudstack` of the `cs` package
 * (python3-cs; .ci/run installs it). It signs its own way (signatureVersion=3 with expires, its own
 * value encoding), waits for async jobs itself with queryAsyncJobResult, and reads the envelopes.
 * It drives a Stratus HTTP server over the simulator cloud: deploy, wait, list with filters, stop,
 * destroy with expunge.
 */
const CLI = "/usr/bin/cloudstack";
const run = promisify(execFile);
const cloud = simulatorCloud();
let node: Awaited<ReturnType<typeof startPortalNode>>;
let key: IssuedKey;

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: install Debian's cs package (apt-get install cs), as .ci/run does`);
  node = await startPortalNode(cloud.h.db);
  key = await issueApiKey(cloud.h.db, cloud.t.callers.tenant.userId, { name: "cs" }, null);
});
afterAll(() => node?.close());

async function cs(args: string[], method: "get" | "post" = "get"): Promise<Record<string, unknown>> {
  const { stdout } = await run(CLI, ["--quiet", ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: "/nonexistent",
      CLOUDSTACK_ENDPOINT: `http://127.0.0.1:${node.port}/client/api`,
      CLOUDSTACK_KEY: key.apiKey,
      CLOUDSTACK_SECRET: key.secretKey,
      CLOUDSTACK_METHOD: method,
      CLOUDSTACK_POLL_INTERVAL: "0.2",
      NODE_ENV: "test",
    },
    timeout: 60_000,
  });
  // cs prints nothing for an empty answer (CloudStack's empty list is {}).
  return (stdout.trim() ? JSON.parse(stdout) : {}) as Record<string, unknown>;
}

describe(`Debian's cs client against Stratus (${testDbKind()})`, () => {
  it("deploys, waits for the job, lists with filters, stops and destroys with expunge", { timeout: 240_000 }, async () => {
    const choice = await deployChoicesByName(cloud.h.db);
    const zones = (await cs(["listZones"])) as { zone: { id: string }[] };
    expect(zones.zone.map((z) => z.id)).toContain(choice.zoneId);

    // cs follows the async job with queryAsyncJobResult and prints its jobresult.
    const deployed = (await cs(
      [
        "deployVirtualMachine",
        `zoneid=${choice.zoneId}`,
        `templateid=${choice.templateId}`,
        `serviceofferingid=${choice.computeOfferingId}`,
        "name=cs-debian-1",
      ],
      "post",
    )) as { virtualmachine: { id: string; state: string; name: string } };
    const vm = deployed.virtualmachine;
    expect(vm).toMatchObject({ name: "cs-debian-1", state: "Running" });

    const listed = (await cs(["listVirtualMachines", "state=Running", `zoneid=${choice.zoneId}`, "name=cs-debian-1"])) as {
      count: number;
      virtualmachine: { id: string }[];
    };
    expect(listed.count).toBe(1);
    expect(listed.virtualmachine[0]!.id).toBe(vm.id);
    expect(await cs(["listVirtualMachines", "state=Stopped", "name=cs-debian-1"])).toEqual({});

    const stopped = (await cs(["stopVirtualMachine", `id=${vm.id}`])) as { virtualmachine: { state: string } };
    expect(stopped.virtualmachine.state).toBe("Stopped");

    expect(await cs(["destroyVirtualMachine", `id=${vm.id}`, "expunge=true"])).toEqual({ success: true });
    expect(await cs(["listVirtualMachines", `id=${vm.id}`])).toEqual({});
  });

  it("shows CloudStack's error for a bad request", async () => {
    const err = await cs(["startVirtualMachine", "id=00000000-0000-0000-0000-000000000000"]).then(
      () => null,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ""}${e.stderr ?? ""}`,
    );
    expect(err).toMatch(/431|not found/i);
  });
});
