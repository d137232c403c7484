import { z } from "zod";
import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { addSimulatorFaultInput, removeSimulatorFaultInput, setSimulatorLatencyInput } from "@/lib/validation/simulator";
import { addSimulatorFault, getSimulator, removeSimulatorFault, resetSimulator, setSimulatorLatency } from "@/server/services/simulator";

/** Simulated hypervisors: latency per operation, injected faults, VMs per host (root admin). */
const manage = () => permissionProcedure("infra.manage");

export const simulatorRouter = createTRPCRouter({
  get: manage().query(({ ctx }) => getSimulator(ctx.db, ctx.caller)),
  setLatency: manage()
    .input(setSimulatorLatencyInput)
    .mutation(({ ctx, input }) => setSimulatorLatency(ctx.db, ctx.caller, input)),
  addFault: manage()
    .input(addSimulatorFaultInput)
    .mutation(({ ctx, input }) => addSimulatorFault(ctx.db, ctx.caller, input)),
  removeFault: manage()
    .input(removeSimulatorFaultInput)
    .mutation(({ ctx, input }) => removeSimulatorFault(ctx.db, ctx.caller, input.id)),
  reset: manage()
    .input(z.object({ latency: z.boolean().default(false) }).default({ latency: false }))
    .mutation(({ ctx, input }) => resetSimulator(ctx.db, ctx.caller, input)),
});
