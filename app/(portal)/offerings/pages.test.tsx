import { describePages } from "@/test/render-pages";
import { ComputeOfferings } from "./compute/compute-offerings";
import { DiskOfferings } from "./disk/disk-offerings";

describePages("offering pages", [
  ["compute offerings", () => <ComputeOfferings />, ["Small", "Add offering", "Actions for compute offering Small"]],
  ["disk offerings", () => <DiskOfferings />, ["Small disk", "Custom, 1–1024 GiB", "Actions for disk offering Small disk"]],
]);
