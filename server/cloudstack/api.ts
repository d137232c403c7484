import { TRPCError } from "@trpc/server";
import type { Db } from "@/db";
import { createCaller } from "@/server/api/root";
import { CLIENT_IP_HEADER } from "@/server/auth/client-ip";
import type { Caller } from "@/server/authz/caller";
import { authenticateApiKey, takeRateToken, touchApiKey } from "@/server/services/api-keys";
import { findCommand, notYetName } from "./commands";
import type { Command } from "./commands/types";
import { errorBody, render, type CsBody } from "./envelope";
import { CsError, toCsError } from "./errors";
import { commandParams, paramsOf, type CsParams } from "./params";
import { firstUseOfSignature, isReadOnlyCommand } from "./replay";
import { isSessionRequest, sessionRequest, type CsHttp } from "./session";
import { parseExpires, verifySignature, type Pair } from "./signature";

/**
 * The CloudStack-compatible API (/client/api): authenticates the request (API key, signature,
 * expiry), limits its rate per key, finds the command, validates its parameters and runs it as
 * the key's user through the tRPC router (same validation, permissions and services as the
 * portal). Every outcome is a CloudStack envelope, errors with HTTP status = errorcode.
 */
export interface CsResponse {
  status: number;
  text: string;
  contentType: string;
  /** Set-Cookie values (the session login). */
  cookies?: string[];
}

const AUTH_FAILED = "unable to verify user credentials and/or request signature";
const REPLAYED =
  "This signed request was already served (a state-changing request is served once per signature): sign a new request, with signatureVersion=3 and expires";

function respond(command: string, format: "json" | "xml", status: number, body: CsBody): CsResponse {
  const r = render(command || "error", body, format);
  return { status, text: r.text, contentType: r.contentType };
}

export async function handleCloudStackRequest(db: Db, pairs: Pair[], now = new Date(), http: CsHttp = {}): Promise<CsResponse> {
  const rawCommand = pairs.find(([n]) => n.toLowerCase() === "command")?.[1] ?? "";
  const format = pairs.find(([n]) => n.toLowerCase() === "response")?.[1]?.toLowerCase() === "json" ? "json" : "xml";
  let commandName = rawCommand;
  try {
    const p = paramsOf(pairs);
    if (!rawCommand) throw new CsError(431, "Missing parameter: command");
    const known = findCommand(rawCommand);
    commandName = known?.name ?? notYetName(rawCommand) ?? rawCommand;
    // CloudStack's session login: login needs no key; sessionkey + cookie stand in for apiKey + signature.
    if (known?.name === "login" || isSessionRequest(p)) {
      const r = await sessionRequest(db, known, p, http, now, (caller) =>
        runCommand(db, caller, known, rawCommand, p, { origin: http.origin }),
      );
      return { ...respond(commandName, format, 200, r.body), cookies: r.cookies };
    }
    // Authentication comes first: an unauthenticated client learns nothing about commands.
    const apiKey = p.byName.get("apikey");
    const signature = p.byName.get("signature");
    if (!apiKey || !signature) throw new CsError(401, AUTH_FAILED);
    const key = await authenticateApiKey(db, apiKey, now);
    if (!key.ok) throw new CsError(401, AUTH_FAILED);
    if (!verifySignature(pairs, signature, key.secret)) throw new CsError(401, AUTH_FAILED);
    let expiresAt: Date | null = null;
    if (p.byName.get("signatureversion") === "3") {
      const expires = p.byName.get("expires");
      const at = expires ? parseExpires(expires) : null;
      if (!at) throw new CsError(401, "signatureVersion=3 needs expires as an ISO 8601 date-time, e.g. 2026-11-30T17:00:00+0000");
      if (at.getTime() <= now.getTime()) throw new CsError(401, "The request has expired (expires is in the past)");
      expiresAt = at;
    }
    if (!(await takeRateToken(db, key.keyId, now))) {
      throw new CsError(429, "You have reached the API request limit for this key; try again in a minute");
    }
    await touchApiKey(db, key.keyId, now);
    if (known && !isReadOnlyCommand(known.name) && !(await firstUseOfSignature(db, key.keyId, signature, expiresAt, now)))
      throw new CsError(401, REPLAYED);
    return respond(
      commandName,
      format,
      200,
      await runCommand(db, key.caller, known, rawCommand, p, { apiKeyId: key.keyId, origin: http.origin }),
    );
  } catch (err) {
    const e = toCsError(err, commandName || "unknown");
    return respond(commandName || "error", format, e.code, errorBody(e));
  }
}

/** Runs an authenticated request's command as `caller`. */
async function runCommand(
  db: Db,
  caller: Caller,
  known: Command | undefined,
  rawCommand: string,
  p: CsParams,
  via: { apiKeyId?: string; origin?: string } = {},
): Promise<CsBody> {
  if (!known) {
    const later = notYetName(rawCommand);
    throw new CsError(
      432,
      later
        ? `The command ${later} is not supported by this Stratus yet (listApis lists the ones that are)`
        : `The given command ${rawCommand} does not exist or it is not available for the user`,
    );
  }
  const args = commandParams(known.params, p);
  try {
    const api = createCaller({ db, caller, apiKeyId: via.apiKeyId });
    return await known.run({ db, caller, api, origin: via.origin }, args);
  } catch (err) {
    // A list filtered by an object the caller cannot see lists nothing (CloudStack answers an empty list).
    if (known.name.startsWith("list") && err instanceof TRPCError && err.code === "NOT_FOUND") return {};
    throw err;
  }
}

/** The parameters of a request: the query string, and for POST a form-encoded body as well. */
export async function requestPairs(req: Request): Promise<Pair[]> {
  const url = new URL(req.url);
  const pairs: Pair[] = [...url.searchParams.entries()];
  if (req.method === "POST") {
    const type = req.headers.get("content-type") ?? "";
    if (type.startsWith("application/x-www-form-urlencoded")) {
      const text = await req.text();
      if (text.length > 1_000_000) throw new CsError(431, "The request body is too large");
      pairs.push(...new URLSearchParams(text).entries());
    } else if (type && !type.startsWith("application/x-www-form-urlencoded")) {
      throw new CsError(431, "POST bodies must be application/x-www-form-urlencoded");
    }
  }
  return pairs;
}

/** A whole HTTP exchange (the Next.js route and the bare portal node both use it). */
export async function handleCloudStackHttp(db: Db, req: Request): Promise<Response> {
  let pairs: Pair[];
  try {
    pairs = await requestPairs(req);
  } catch (err) {
    const e = toCsError(err, "request");
    const r = render("error", errorBody(e), "json");
    return new Response(r.text, { status: e.code, headers: { "content-type": r.contentType } });
  }
  const r = await handleCloudStackRequest(db, pairs, new Date(), {
    origin: new URL(req.url).origin,
    method: req.method,
    cookie: req.headers.get("cookie"),
    ip: req.headers.get(CLIENT_IP_HEADER) ?? "unknown",
    userAgent: req.headers.get("user-agent") ?? "",
    secure: new URL(req.url).protocol === "https:",
  });
  const headers = new Headers({ "content-type": r.contentType, "cache-control": "no-store" });
  for (const c of r.cookies ?? []) headers.append("set-cookie", c);
  return new Response(r.text, { status: r.status, headers });
}
