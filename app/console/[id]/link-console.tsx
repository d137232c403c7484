"use client";
import { useEffect, useState } from "react";
import { ConsoleView } from "@/components/console/console-view";

const ticketInFragment = () => new URLSearchParams(window.location.hash.slice(1)).get("ticket");

/** The ticket from the fragment (#ticket=…), read once; then removed from the address bar and history. */
export function LinkConsole({ instanceId }: { instanceId: string }) {
  const [ticket] = useState(ticketInFragment);
  useEffect(() => window.history.replaceState(null, "", window.location.pathname), []);
  return <ConsoleView instanceId={instanceId} linkTicket={ticket} />;
}
