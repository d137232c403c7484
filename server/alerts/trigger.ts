import type { Db } from "@/db";
import { processSingleton } from "@/lib/process-singleton";
import { logger } from "@/server/log";
import { sendPendingAlertEmails } from "./email";
import { evaluateAlerts } from "./evaluate";

/** One evaluation, then the e-mails its changes queued (outside its transaction): the schedule's and a prompt one's. */
export async function runAlertEvaluation(db: Db) {
  await evaluateAlerts(db);
  await sendPendingAlertEmails(db);
}

/** A prompt evaluation runs at most once per this gap per process (a flapping host, a burst of charges). */
export const PROMPT_EVALUATION_GAP_MS = 3000;

/**
 * A request function for `run`: the first request runs it at once, later ones within `gapMs` of the
 * last start are folded into one run when the gap has passed, and a request while it runs gives one
 * more run afterwards (it may not have seen that change). Never two runs at once.
 */
export function debounced(run: () => Promise<void>, gapMs: number, onError: (e: unknown) => void): () => void {
  let lastStart = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  const fire = () => {
    timer = undefined;
    running = true;
    lastStart = Date.now();
    void run()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          request();
        }
      });
  };
  const request = () => {
    if (running) again = true;
    else timer ??= setTimeout(fire, Math.max(0, lastStart + gapMs - Date.now()));
  };
  return request;
}

const prompt = processSingleton("alerts.prompt", () => new WeakMap<Db, () => void>());

/**
 * Asks for an alert evaluation soon, besides the schedule: a host changed state, rating wrote
 * charges. Debounced per process (and database), so a burst costs one evaluation.
 */
export function evaluateAlertsSoon(db: Db) {
  let request = prompt.get(db);
  if (!request) {
    request = debounced(
      () => runAlertEvaluation(db),
      PROMPT_EVALUATION_GAP_MS,
      (e) => logger().error({ err: e }, "[alerts] prompt evaluation failed"),
    );
    prompt.set(db, request);
  }
  request();
}
