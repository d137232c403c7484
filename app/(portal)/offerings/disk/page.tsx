import type { Metadata } from "next";
import { DiskOfferings } from "./disk-offerings";

export const metadata: Metadata = { title: "Disk offerings" };

export default function DiskOfferingsPage() {
  return <DiskOfferings />;
}
