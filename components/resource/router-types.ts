import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

/** What the API returns and takes, for typing client components (types only, nothing bundled). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type DomainNode = RouterOutputs["domain"]["tree"][number];
export type AccountRow = RouterOutputs["account"]["list"]["items"][number];
export type UserRow = RouterOutputs["user"]["list"]["items"][number];
export type EventRow = RouterOutputs["event"]["list"]["items"][number];
export type LimitRowOut = RouterOutputs["limit"]["forAccount"]["limits"][number];

/** The message of a tRPC (or any) error, for showing at form or dialog level. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === "object" && "message" in err && typeof err.message === "string") return err.message;
  return "Something went wrong";
}
export type UsageRecordRow = RouterOutputs["usage"]["records"]["items"][number];
export type UsageSummary = RouterOutputs["usage"]["summary"];
