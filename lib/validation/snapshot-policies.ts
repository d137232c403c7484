import { z } from "zod";
import { isTimeZone, snapshotFrequencies, weekdays } from "../snapshot-schedule";
import { idSchema } from "./common";

const int = (label: string, min: number, max: number) =>
  z
    .number({ error: `${label} must be a number` })
    .int({ message: `${label} must be a whole number` })
    .min(min, { message: `${label} must be between ${min} and ${max}` })
    .max(max, { message: `${label} must be between ${min} and ${max}` });

/** Every field a policy may have (the editor shows those its frequency needs). */
export const snapshotPolicyFields = z.object({
  frequency: z.enum(snapshotFrequencies, { error: `Frequency must be one of ${snapshotFrequencies.join(", ")}` }),
  minute: int("Minute", 0, 59),
  hour: int("Hour", 0, 23),
  weekday: z.literal(weekdays, { error: "Weekday must be 0 (Sunday) to 6 (Saturday)" }),
  dayOfMonth: int("Day of month", 1, 28),
  timeZone: z.string().max(64).refine(isTimeZone, { message: "Time zone must be an IANA time zone such as Europe/Berlin" }),
  retention: int("Retention", 1, 100),
});

type Frequency = (typeof snapshotFrequencies)[number];
/** Which of the optional fields each frequency needs. */
export const policyNeeds = (f: Frequency) => ({ hour: f !== "hourly", weekday: f === "weekly", dayOfMonth: f === "monthly" });

/** A recurring policy: the fields its frequency needs, the rest absent (checked per field, so the error names it). */
export const createSnapshotPolicyInput = snapshotPolicyFields
  .partial({ hour: true, weekday: true, dayOfMonth: true })
  .extend({ volumeId: idSchema })
  .superRefine((v, ctx) => {
    for (const [field, needed] of Object.entries(policyNeeds(v.frequency)) as [keyof ReturnType<typeof policyNeeds>, boolean][]) {
      if (needed && v[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `A ${v.frequency} policy needs ${field}` });
      if (!needed && v[field] !== undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `A ${v.frequency} policy takes no ${field}` });
    }
  });
export type CreateSnapshotPolicyInput = z.infer<typeof createSnapshotPolicyInput>;

export const snapshotPolicyIdInput = z.object({ id: idSchema });
export const snapshotPolicyIdsInput = z.object({
  ids: z.array(idSchema).min(1, { message: "Name at least one policy" }).max(100, { message: "At most 100 policies at once" }),
});
/** One volume's policies, or (without a volume) those of every volume in the caller's scope. */
export const listSnapshotPoliciesInput = z.object({ volumeId: idSchema.optional() });
