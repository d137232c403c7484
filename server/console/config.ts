import { env } from "@/server/env";

/** Console settings, from the environment (server/env.ts; read when used, so tests may change them). */
export const consoleConfig = {
  /** How long an unused ticket stays valid. */
  get ticketTtlMs() {
    return env().STRATUS_CONSOLE_TICKET_TTL_SECONDS * 1000;
  },
  /** Time without keyboard or mouse input before a console session is closed. */
  get idleMs() {
    return env().STRATUS_CONSOLE_IDLE_SECONDS * 1000;
  },
  /** How often an open session re-checks the user, the account and the VM. */
  get checkMs() {
    return env().STRATUS_CONSOLE_CHECK_MS;
  },
};
