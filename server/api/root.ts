import { createCallerFactory, createTRPCRouter } from "./trpc";
import { accountRouter } from "./routers/account";
import { domainRouter } from "./routers/domain";
import { eventRouter } from "./routers/event";
import { limitRouter } from "./routers/limit";
import { sessionRouter } from "./routers/session";
import { userRouter } from "./routers/user";
import { instanceRouter } from "./routers/instance";
import { volumeRouter } from "./routers/volume";
import { snapshotRouter } from "./routers/snapshot";
import { vmSnapshotRouter } from "./routers/vm-snapshot";
import { jobRouter } from "./routers/job";
import { infrastructureRouters } from "./routers/infrastructure";
import { offeringRouters } from "./routers/offering";
import { simulatorRouter } from "./routers/simulator";
import { capacityRouter } from "./routers/capacity";
import { metricsRouter } from "./routers/metrics";
import { templateRouter } from "./routers/template";
import { consoleRouter } from "./routers/console";
import { networkRouter, networkRuleRouter, nicRouter, publicIpRangeRouter, publicIpRouter, zoneNetworkRouter } from "./routers/network";
import { billingRouter } from "./routers/billing";
import { webhookRouter } from "./routers/webhook";
import { usageRouter } from "./routers/usage";
import { priceListRouter, pricingRouter, tariffRouter } from "./routers/pricing";
import { apiKeyRouter } from "./routers/api-key";
import { alertRouter } from "./routers/alert";
import { dashboardRouter } from "./routers/dashboard";
import { securityGroupRouter, sharedNetworkRouter } from "./routers/security-group";

export const appRouter = createTRPCRouter({
  session: sessionRouter,
  domain: domainRouter,
  account: accountRouter,
  user: userRouter,
  limit: limitRouter,
  event: eventRouter,
  instance: instanceRouter,
  volume: volumeRouter,
  snapshot: snapshotRouter,
  vmSnapshot: vmSnapshotRouter,
  job: jobRouter,
  ...infrastructureRouters,
  ...offeringRouters,
  simulator: simulatorRouter,
  capacity: capacityRouter,
  template: templateRouter,
  metrics: metricsRouter,
  console: consoleRouter,
  network: networkRouter,
  nic: nicRouter,
  securityGroup: securityGroupRouter,
  sharedNetwork: sharedNetworkRouter,
  zoneNetwork: zoneNetworkRouter,
  publicIp: publicIpRouter,
  networkRule: networkRuleRouter,
  publicIpRange: publicIpRangeRouter,
  usage: usageRouter,
  priceList: priceListRouter,
  tariff: tariffRouter,
  pricing: pricingRouter,
  apiKey: apiKeyRouter,
  alert: alertRouter,
  dashboard: dashboardRouter,
  billing: billingRouter,
  webhook: webhookRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
