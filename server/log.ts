import pino, { type Logger } from "pino";
import { processSingleton } from "@/lib/process-singleton";
import { env } from "@/server/env";
import { currentRequestId } from "@/server/telemetry/context";

/**
 * The process's logger: one JSON object a line (pino), with the request id of the request (or job)
 * being served; readable and coloured in development (pino-pretty, a development dependency).
 */
function create(): Logger {
  const e = env();
  const pretty = e.STRATUS_LOG_PRETTY ? e.STRATUS_LOG_PRETTY === "1" : e.NODE_ENV === "development";
  return pino({
    level: e.STRATUS_LOG_LEVEL ?? (e.NODE_ENV === "test" ? "warn" : "info"),
    base: { pid: process.pid },
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    ...(pretty ? { transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l" } } } : {}),
  });
}

export const logger = (): Logger => processSingleton("log.logger", create);
