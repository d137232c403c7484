import type { Metadata } from "next";
import { LinkConsoleLoader } from "./link-console-loader";

export const metadata: Metadata = { title: "Console", referrer: "no-referrer" };

/**
 * A VM's console opened from a createConsoleEndpoint link (the CloudStack API): no portal
 * session; the single-use ticket rides in the URL's fragment, which the browser never sends.
 */
export default async function LinkConsolePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <main className="mx-auto flex max-w-6xl flex-col gap-3 p-3 sm:p-6">
      <h1 className="text-lg font-semibold text-slate-900">Console</h1>
      <LinkConsoleLoader instanceId={id} />
    </main>
  );
}
