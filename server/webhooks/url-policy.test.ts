import { afterEach, describe, expect, it } from "vitest";
import { checkWebhookUrl } from "./url-policy";
import { retryDelayMs } from "./deliver";
import { signWebhook, verifyWebhook } from "./sign";

/** The webhook URL allow-list, tried as an attacker would. */
const saved = process.env.STRATUS_WEBHOOK_ALLOW_CIDRS;
afterEach(() => {
  if (saved === undefined) delete process.env.STRATUS_WEBHOOK_ALLOW_CIDRS;
  else process.env.STRATUS_WEBHOOK_ALLOW_CIDRS = saved;
});

describe("webhook URL allow-list", () => {
  it.each([
    ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a private, loopback, link-local/],
    ["http://[fd00:ec2::254]/", /private, loopback, link-local/],
    ["file:///etc/passwd", /Only http and https/],
    ["gopher://example.com/", /Only http and https/],
    ["javascript:alert(1)", /Only http and https/],
    ["ftp://example.com/x", /Only http and https/],
    ["http://user:pass@example.com/", /user name or password/],
    ["http://user@203.0.113.5/", /user name or password/],
    ["http://2130706433/", /127\.0\.0\.1 is a private/],
    ["http://0x7f000001/", /127\.0\.0\.1 is a private/],
    ["http://0177.0.0.1/", /127\.0\.0\.1 is a private/],
    ["http://127.1/", /127\.0\.0\.1 is a private/],
    ["http://[::1]:8080/", /::1 is a private/],
    ["http://[::ffff:127.0.0.1]/", /::ffff:7f00:1 is a private/],
    ["http://[::ffff:a9fe:a9fe]/", /::ffff:a9fe:a9fe is a private/],
    ["http://10.0.0.5/", /10\.0\.0\.5 is a private/],
    ["http://192.168.1.1/", /private/],
    ["http://100.64.0.1/", /private/],
    ["http://0.0.0.0/", /private/],
    ["http://localhost:3000/", /localhost resolves to .* private/],
    ["not a url", /is not a URL/],
  ])("refuses %s", async (url, why) => {
    delete process.env.STRATUS_WEBHOOK_ALLOW_CIDRS;
    await expect(checkWebhookUrl(url)).rejects.toThrow(why);
  });

  it("accepts a public address, and a private one only when the setting names it", async () => {
    delete process.env.STRATUS_WEBHOOK_ALLOW_CIDRS;
    expect((await checkWebhookUrl("https://203.0.113.7/hook")).address).toBe("203.0.113.7");
    await expect(checkWebhookUrl("http://127.0.0.1:9/hook")).rejects.toThrow(/private/);
    process.env.STRATUS_WEBHOOK_ALLOW_CIDRS = "127.0.0.1";
    expect((await checkWebhookUrl("http://127.0.0.1:9/hook")).address).toBe("127.0.0.1");
    // The exception is exactly what it names: the metadata address stays refused.
    await expect(checkWebhookUrl("http://169.254.169.254/")).rejects.toThrow(/private/);
    await expect(checkWebhookUrl("http://127.0.0.2/")).rejects.toThrow(/private/);
  });

  it("refuses a malformed setting, naming it", async () => {
    process.env.STRATUS_WEBHOOK_ALLOW_CIDRS = "127.0.0.1/99";
    await expect(checkWebhookUrl("http://127.0.0.1/")).rejects.toThrow(/STRATUS_WEBHOOK_ALLOW_CIDRS/);
  });
});

describe("webhook signatures and backoff", () => {
  it("signs timestamp.body with HMAC-SHA256 and refuses tampering and replays", () => {
    const body = '{"event":"BILLING.LOWBALANCE"}';
    const ts = 1_800_000_000;
    const sig = signWebhook("whsec_x", ts, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    const at = ts * 1000;
    expect(verifyWebhook("whsec_x", { signature: sig, timestamp: String(ts) }, body, at)).toBe(true);
    expect(verifyWebhook("whsec_x", { signature: sig, timestamp: String(ts) }, body.replace("LOW", "NO"), at)).toBe(false);
    expect(verifyWebhook("whsec_x", { signature: sig, timestamp: String(ts + 1) }, body, at)).toBe(false);
    expect(verifyWebhook("whsec_x", { signature: sig, timestamp: String(ts) }, body, at + 301_000)).toBe(false);
    expect(verifyWebhook("whsec_x", { signature: null, timestamp: String(ts) }, body, at)).toBe(false);
  });

  it("backs off exponentially, at most 6 hours", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(30, 30_000)).toBe(6 * 3_600_000);
  });
});
