import { z } from "zod";
import { resourceTypes } from "../resource-types";
import { idSchema } from "./common";

/** A limit: a whole number ≥ 0, or null for unlimited. Only the types sent are changed. */
const limitValue = z.number().int({ message: "Must be a whole number" }).min(0, { message: "Cannot be negative" }).max(1e12).nullable();
export const limitsSchema = z.partialRecord(z.enum(resourceTypes), limitValue);

export const setAccountLimitsInput = z.object({ accountId: idSchema, limits: limitsSchema });
export const setDomainLimitsInput = z.object({ domainId: idSchema, limits: limitsSchema });
