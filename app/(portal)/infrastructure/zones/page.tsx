import type { Metadata } from "next";
import { Zones } from "./zones";

export const metadata: Metadata = { title: "Zones" };

export default function ZonesPage() {
  return <Zones />;
}
