import type { Metadata } from "next";
import { ComputeOfferings } from "./compute-offerings";

export const metadata: Metadata = { title: "Compute offerings" };

export default function ComputeOfferingsPage() {
  return <ComputeOfferings />;
}
