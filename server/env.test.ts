import { afterEach, describe, expect, it } from "vitest";
import { env } from "./env";

const touched = ["STRATUS_CONSOLE_CHECK_MS", "STRATUS_LIBVIRT_NIC", "STRATUS_RELEASE_ON_STOP", "STRATUS_JOB_CONCURRENCY"] as const;
const saved = Object.fromEntries(touched.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of touched) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("server/env.ts", () => {
  it("gives every setting its default when unset", () => {
    for (const k of touched) delete process.env[k];
    expect(env()).toMatchObject({
      STRATUS_CONSOLE_CHECK_MS: 3000,
      STRATUS_LIBVIRT_NIC: "user",
      STRATUS_RELEASE_ON_STOP: "1",
      STRATUS_JOB_CONCURRENCY: 8,
    });
  });

  it("sees a variable changed after the first read", () => {
    process.env.STRATUS_CONSOLE_CHECK_MS = "150";
    expect(env().STRATUS_CONSOLE_CHECK_MS).toBe(150);
    process.env.STRATUS_CONSOLE_CHECK_MS = "250";
    expect(env().STRATUS_CONSOLE_CHECK_MS).toBe(250);
  });

  it("names the malformed variable", () => {
    process.env.STRATUS_JOB_CONCURRENCY = "lots";
    expect(() => env()).toThrow(/STRATUS_JOB_CONCURRENCY/);
    delete process.env.STRATUS_JOB_CONCURRENCY;
    process.env.STRATUS_LIBVIRT_NIC = "bridge";
    expect(() => env()).toThrow(/STRATUS_LIBVIRT_NIC: must be user, none, network:<name> or bridge:<name>/);
    process.env.STRATUS_LIBVIRT_NIC = "bridge:br0";
    expect(env().STRATUS_LIBVIRT_NIC).toBe("bridge:br0");
  });
});
