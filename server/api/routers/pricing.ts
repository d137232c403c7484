import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import {
  costRevenueInput,
  createPriceListInput,
  getPriceListInput,
  quoteInput,
  removePriceListInput,
  setMarginInput,
  setTariffInput,
  updatePriceListInput,
} from "@/lib/validation/pricing";
import {
  costRevenue,
  createPriceList,
  getPriceList,
  listPriceLists,
  quote,
  removePriceList,
  setMargin,
  setTariff,
  updatePriceList,
} from "@/server/billing/price-lists";

/** Price lists and their margins (root: wholesale and any; resellers: their subtree's, where allowed). */
export const priceListRouter = createTRPCRouter({
  list: permissionProcedure("pricing.manage").query(({ ctx }) => listPriceLists(ctx.db, ctx.caller)),
  get: permissionProcedure("pricing.manage")
    .input(getPriceListInput)
    .query(({ ctx, input }) => getPriceList(ctx.db, ctx.caller, input.id)),
  create: permissionProcedure("pricing.manage")
    .input(createPriceListInput)
    .mutation(({ ctx, input }) => createPriceList(ctx.db, ctx.caller, input)),
  update: permissionProcedure("pricing.manage")
    .input(updatePriceListInput)
    .mutation(({ ctx, input }) => updatePriceList(ctx.db, ctx.caller, input)),
  setMargin: permissionProcedure("pricing.manage")
    .input(setMarginInput)
    .mutation(({ ctx, input }) => setMargin(ctx.db, ctx.caller, input)),
  remove: permissionProcedure("pricing.manage")
    .input(removePriceListInput)
    .mutation(({ ctx, input }) => removePriceList(ctx.db, ctx.caller, input)),
});

/** Tariffs: set or end a price from a whole hour on (never rewriting the past). */
export const tariffRouter = createTRPCRouter({
  set: permissionProcedure("pricing.manage")
    .input(setTariffInput)
    .mutation(({ ctx, input }) => setTariff(ctx.db, ctx.caller, input)),
});

/** The deploy wizard's price and the reseller's cost beside its revenue. */
export const pricingRouter = createTRPCRouter({
  quote: permissionProcedure("usage.read")
    .input(quoteInput)
    .query(({ ctx, input }) => quote(ctx.db, ctx.caller, input)),
  costRevenue: permissionProcedure("pricing.manage")
    .input(costRevenueInput)
    .query(({ ctx, input }) => costRevenue(ctx.db, ctx.caller, input)),
});
