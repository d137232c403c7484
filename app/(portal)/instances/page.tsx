import type { Metadata } from "next";
import { InstancesList } from "./instances-list";

export const metadata: Metadata = { title: "Instances" };

export default function InstancesPage() {
  return <InstancesList />;
}
