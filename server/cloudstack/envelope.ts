import type { CsError } from "./errors";

/**
 * CloudStack's answer shapes: one top-level key `<command in lower case>response`; lists as
 * `{count, <object>: [...]}` and `{}` when empty; async commands `{id?, jobid}`; errors
 * `{uuidList, errorcode, cserrorcode, errortext}` with the HTTP status = errorcode.
 */
export type CsBody = Record<string, unknown>;

export const responseKey = (command: string) => `${command.toLowerCase()}response`;

export function listBody(key: string, items: unknown[], count: number): CsBody {
  return items.length === 0 && count === 0 ? {} : { count, [key]: items };
}

export function errorBody(e: CsError): CsBody {
  return { uuidList: [], errorcode: e.code, cserrorcode: e.csErrorCode, errortext: e.message };
}

/** The version clients see (cmk and the Terraform provider read it from listCapabilities). */
export const CLOUDSTACK_VERSION = "4.19.0.0";

function xmlEscape(s: string) {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

function xmlOf(name: string, value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => xmlOf(name, v)).join("");
  if (typeof value === "object") {
    return `<${name}>${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => xmlOf(k, v))
      .join("")}</${name}>`;
  }
  return `<${name}>${xmlEscape(typeof value === "string" ? value : JSON.stringify(value))}</${name}>`;
}

/** The envelope as JSON (response=json) or CloudStack's XML (the default when `response` is absent). */
export function render(command: string, body: CsBody, format: "json" | "xml"): { text: string; contentType: string } {
  const key = responseKey(command);
  if (format === "json") return { text: JSON.stringify({ [key]: body }), contentType: "application/json; charset=utf-8" };
  const inner = Object.entries(body)
    .map(([k, v]) => xmlOf(k, v))
    .join("");
  return {
    text: `<?xml version="1.0" encoding="UTF-8"?><${key} cloud-stack-version="${CLOUDSTACK_VERSION}">${inner}</${key}>`,
    contentType: "text/xml; charset=utf-8",
  };
}

/** CloudStack's date format: 2026-11-30T15:04:05+0000. */
export function csDate(d: Date | string | null | undefined): string | undefined {
  if (!d) return undefined;
  const iso = new Date(d).toISOString();
  return `${iso.slice(0, 19)}+0000`;
}
