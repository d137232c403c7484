import type { Metadata } from "next";
import { DomainsView } from "../domains-view";

export const metadata: Metadata = { title: "Domain" };

export default async function DomainPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <DomainsView initialId={id} />;
}
