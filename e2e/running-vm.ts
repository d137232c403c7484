import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { trpcMutation, trpcQuery } from "./pages";

/** Shared by the volume and snapshot specs: axe's violations on the page, and a running VM of the signed-in tenant. */
export const axe = async (page: Page) =>
  (await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze()).violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`,
  );

/** A running VM of the tenant, deployed through the API (the wizard has its own spec). */
export async function runningVm(page: Page, name: string) {
  const choices = await trpcQuery<{
    zones: { id: string }[];
    templates: { id: string; name: string }[];
    offerings: { id: string; name: string }[];
  }>(page, "instance.deployChoices", undefined);
  const [vm] = await trpcMutation<{ id: string }[]>(page, "instance.deploy", {
    zoneId: choices.zones[0]!.id,
    templateId: choices.templates.find((t) => t.name === "Tiny Linux")!.id,
    computeOfferingId: choices.offerings.find((o) => o.name === "Small")!.id,
    name,
    count: 1,
  });
  await expect
    .poll(async () => (await trpcQuery<{ state: string }>(page, "instance.get", { id: vm!.id })).state, { timeout: 30_000 })
    .toBe("running");
  return vm!.id;
}
