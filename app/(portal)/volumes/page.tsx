import type { Metadata } from "next";
import { VolumesList } from "./volumes-list";

export const metadata: Metadata = { title: "Volumes" };

export default function VolumesPage() {
  return <VolumesList />;
}
