import { z } from "zod";
import { idSchema } from "./common";

/** Filters of the event list besides search/sort/page. Client-safe: the events page builds its query from them. */
export const eventLevels = ["info", "warn", "error"] as const;
export const eventFilters = {
  level: z.enum(eventLevels, { error: "Level must be info, warn or error" }).optional(),
  /** A prefix: "VM" finds every VM event. */
  type: z.string().trim().max(64, { error: "Type must be at most 64 characters" }).optional(),
  resourceId: idSchema.optional(),
  /** Events of one account, of a domain's subtree, or done by one user (each must be in the caller's scope). */
  accountId: idSchema.optional(),
  domainId: idSchema.optional(),
  userId: idSchema.optional(),
  from: z.date({ error: "From must be a date" }).optional(),
  to: z.date({ error: "To must be a date" }).optional(),
};
export const eventFiltersSchema = z.object(eventFilters);
export type EventFilters = z.infer<typeof eventFiltersSchema>;
