import { z } from "zod";
import { env } from "@/server/env";
import { cs } from "../params";
import { command } from "./types";

/**
 * createConsoleEndpoint (CloudStack 4.18): a console ticket asked for with the API key, through
 * the same console.ticket procedure as the portal (VM in the caller's scope and running). The
 * ticket is bound to that key: single use, short-lived, this VM only, and refused once the key
 * is revoked. `url` opens the console page, which needs no portal session; `websocket` is for
 * clients that speak RFB themselves: ws(s)://host:port + path + ?ticket=token.
 */

/** The portal's public origin: STRATUS_PUBLIC_URL, else NEXTAUTH_URL, else the request's own. */
function publicOrigin(requestOrigin: string | undefined): URL | null {
  const e = env();
  const base = e.STRATUS_PUBLIC_URL ?? e.NEXTAUTH_URL ?? requestOrigin;
  return base ? new URL(base) : null;
}

export const consoleCommands = [
  command({
    name: "createConsoleEndpoint",
    description: "Creates a console endpoint (a single-use, short-lived link) to connect to a VM's console",
    isasync: false,
    // token: CloudStack's extra validation token; Stratus binds the ticket to the key instead, so it is accepted and not used.
    params: { virtualmachineid: cs.id("virtualmachineid"), token: z.string().max(256).optional() },
    async run(ctx, p) {
      const t = await ctx.api.console.ticket({ id: p.virtualmachineid });
      const origin = publicOrigin(ctx.origin);
      const secure = origin?.protocol === "https:";
      const ticket = encodeURIComponent(t.ticket);
      return {
        consoleendpoint: {
          success: true,
          // The ticket rides in the fragment: the browser never sends it with the page request (logs, Referer).
          url: `${origin ? origin.origin : ""}/console/${p.virtualmachineid}#ticket=${ticket}`,
          websocket: {
            token: t.ticket,
            host: origin?.hostname ?? "",
            port: origin ? origin.port || (secure ? "443" : "80") : "",
            path: `${t.path}?ticket=${ticket}`,
          },
        },
      };
    },
  }),
];
