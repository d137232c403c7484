import type { Metadata } from "next";
import { SharedNetworks } from "./shared-networks";

export const metadata: Metadata = { title: "Shared networks" };

export default function SharedNetworksPage() {
  return <SharedNetworks />;
}
