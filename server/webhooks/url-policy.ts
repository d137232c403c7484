import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { ServiceError } from "@/server/core/errors";
import { addressProblemFor } from "@/server/services/template-images/address-policy";

export interface WebhookTarget {
  url: URL;
  /** The checked address to connect to (the name is never resolved again: no DNS rebinding). */
  address: string;
  family: 4 | 6;
}

const refuse = (message: string) => new ServiceError("BAD_REQUEST", message, "url");

/** The URL's form alone: http or https, a host, no user name or password, no fragment. */
export function webhookUrlFormProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${raw} is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `Only http and https webhook URLs are allowed, not ${url.protocol}`;
  if (url.username || url.password) return "Webhook URLs with a user name or password are not allowed";
  if (!url.hostname) return "The webhook URL has no host";
  return null;
}

/**
 * Checks a webhook URL as an attacker would use it: the scheme, userinfo, then every address the
 * host has (the WHATWG parser has already turned decimal, octal and hex IPv4 forms into dotted
 * quads) against the address rule shared with template URLs, with STRATUS_WEBHOOK_ALLOW_CIDRS as
 * the admin's exceptions. Called when a subscription is saved and again before every delivery.
 */
export async function checkWebhookUrl(raw: string): Promise<WebhookTarget> {
  const form = webhookUrlFormProblem(raw);
  if (form) throw refuse(form);
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addrs: { address: string; family: number }[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else {
    try {
      addrs = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw refuse(`Cannot resolve ${host}`);
    }
  }
  if (addrs.length === 0) throw refuse(`Cannot resolve ${host}`);
  // Every address: a name with one public and one private address is refused.
  for (const a of addrs) {
    const problem = addressProblemFor(a.address, "STRATUS_WEBHOOK_ALLOW_CIDRS", "webhooks");
    if (problem) throw refuse(isIP(host) ? problem : `${host} resolves to ${problem}`);
  }
  return { url, address: addrs[0]!.address, family: addrs[0]!.family === 6 ? 6 : 4 };
}
