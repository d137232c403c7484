/** Console settings, from the environment (read when used, so tests may change them). */
export const consoleConfig = {
  /** Seconds an unused ticket stays valid (at most 60). */
  get ticketTtlMs() {
    return Math.min(60, Math.max(1, Number(process.env.STRATUS_CONSOLE_TICKET_TTL_SECONDS ?? 30))) * 1000;
  },
  /** Seconds without keyboard or mouse input before a console session is closed. */
  get idleMs() {
    return Math.max(1, Number(process.env.STRATUS_CONSOLE_IDLE_SECONDS ?? 1800)) * 1000;
  },
  /** How often an open session re-checks the user, the account and the VM. */
  get checkMs() {
    return Math.max(100, Number(process.env.STRATUS_CONSOLE_CHECK_MS ?? 3000));
  },
};
