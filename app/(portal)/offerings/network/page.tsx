import type { Metadata } from "next";
import { NetworkOfferings } from "./network-offerings";

export const metadata: Metadata = { title: "Network offerings" };

export default function NetworkOfferingsPage() {
  return <NetworkOfferings />;
}
