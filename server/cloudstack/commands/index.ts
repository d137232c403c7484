import { z } from "zod";
import { CLOUDSTACK_VERSION, listBody } from "../envelope";
import { adminCommands } from "./admin";
import { pagingParams } from "../params";
import { catalogCommands } from "./catalog";
import { consoleCommands } from "./console";
import { jobCommands } from "./jobs";
import { listCommands } from "./lists";
import { networkCommands } from "./network";
import { sessionCommands } from "./session";
import { command, type Command } from "./types";
import { storageCommands } from "./storage";
import { vmCommands } from "./vm";

/**
 * Commands of CloudStack's API that Stratus does not answer yet: each is refused with 432 and a
 * text saying so (CloudStack's "unsupported command" code), never mistaken for an unknown one.
 */
export const NOT_YET: readonly string[] = [];

const base: Command[] = [
  ...vmCommands,
  ...catalogCommands,
  ...jobCommands,
  ...listCommands,
  ...networkCommands,
  ...adminCommands,
  ...sessionCommands,
  ...storageCommands,
  ...consoleCommands,
];

const meta: Command[] = [
  command({
    name: "listCapabilities",
    description: "Lists the capabilities of the cloud",
    isasync: false,
    params: {},
    run() {
      return Promise.resolve({
        capability: {
          cloudstackversion: CLOUDSTACK_VERSION,
          securitygroupsenabled: false,
          userpublictemplateenabled: false,
          supportELB: "false",
          projectinviterequired: false,
          allowusercreateprojects: false,
          customdiskofferingminsize: 1,
          customdiskofferingmaxsize: 65536,
          kvmsnapshotenabled: true,
          apilimitinterval: 60,
          apilimitmax: 0,
          dynamicrolesenabled: false,
        },
      });
    },
  }),
  command({
    name: "listApis",
    description: "Lists the commands this Stratus answers",
    isasync: false,
    params: { name: z.string().optional(), ...pagingParams },
    run(_ctx, p) {
      const all = [...base, ...meta].filter((c) => !p.name || c.name.toLowerCase() === p.name.toLowerCase());
      const out = all
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((c) => ({
          name: c.name,
          description: c.description,
          isasync: c.isasync,
          since: "4.0.0",
          type: "",
          params: Object.keys(c.params)
            .filter((k) => !(k in pagingParams) || k === "keyword" || k === "page" || k === "pagesize" || k === "listall")
            .map((k) => {
              const s = (c.params as Record<string, z.ZodTypeAny>)[k]!;
              return { name: k, required: !s.safeParse(undefined).success, type: "string", description: k };
            }),
          response: [],
        }));
      return Promise.resolve(listBody("api", out, out.length));
    },
  }),
];

export const commands: Command[] = [...base, ...meta];
const byLowerName = new Map(commands.map((c) => [c.name.toLowerCase(), c]));
const notYetLower = new Map(NOT_YET.map((n) => [n.toLowerCase(), n]));

export const findCommand = (name: string) => byLowerName.get(name.toLowerCase());
export const notYetName = (name: string) => notYetLower.get(name.toLowerCase());
