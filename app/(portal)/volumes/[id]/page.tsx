import type { Metadata } from "next";
import { VolumeDetail } from "./volume-detail";

export const metadata: Metadata = { title: "Volume" };

export default async function VolumePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <VolumeDetail id={id} />;
}
