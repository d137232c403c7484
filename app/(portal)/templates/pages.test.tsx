import { describePages } from "@/test/render-pages";
import { Images } from "./images";

describePages("templates and ISOs pages", [
  [
    "templates",
    () => <Images kind="template" canPublish />,
    ["Templates", "Tiny Linux", "Ready", "Public", "Register from URL", "Upload template", "Actions for template Tiny Linux"],
  ],
  ["isos", () => <Images kind="iso" canPublish />, ["ISOs", "No ISOs", "Upload ISO"]],
]);
