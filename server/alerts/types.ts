import type { alerts } from "@/db/schema";

export type Alert = typeof alerts.$inferSelect;
