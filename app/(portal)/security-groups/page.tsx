import type { Metadata } from "next";
import { SecurityGroupsList } from "./security-groups-list";

export const metadata: Metadata = { title: "Security groups" };

export default function SecurityGroupsPage() {
  return <SecurityGroupsList />;
}
