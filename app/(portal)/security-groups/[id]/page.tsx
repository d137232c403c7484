import type { Metadata } from "next";
import { SecurityGroupDetail } from "./security-group-detail";

export const metadata: Metadata = { title: "Security group" };

export default async function SecurityGroupPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SecurityGroupDetail id={id} />;
}
