import { createTRPCRouter } from "@/server/api/trpc";

/** zone, pod, cluster, host, storagePool, secondaryStore routers (root admin). */
export const infrastructureRouters = {
  zone: createTRPCRouter({}),
};
