import { createTRPCRouter } from "@/server/api/trpc";

/** computeOffering and diskOffering routers. */
export const offeringRouters = {
  computeOffering: createTRPCRouter({}),
};
