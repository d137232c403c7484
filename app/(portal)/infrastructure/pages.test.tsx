import { describePages } from "@/test/render-pages";
import { Clusters } from "./clusters/clusters";
import { Hosts } from "./hosts/hosts";
import { Pods } from "./pods/pods";
import { Storage } from "./storage/storage";
import { Templates } from "./templates/templates";
import { Zones } from "./zones/zones";

describePages("infrastructure pages", [
  ["zones", () => <Zones />, ["Zones", "Capacity by zone", "Zone 1", "614.4 GHz", "Add zone", "Actions for zone Zone 1"]],
  ["pods", () => <Pods initialFilter={{}} />, ["Pod 1", "Zone 1", "Add pod", 'aria-label="Filter by zone"']],
  ["clusters", () => <Clusters initialFilter={{}} />, ["Cluster 1", "CPU × 2", "Add cluster", "Actions for cluster Cluster 1"]],
  [
    "hosts",
    () => <Hosts initialFilter={{}} />,
    ["sim-host-4", "sim://host-1", "gpu", "Actions for host sim-host-1", 'href="/infrastructure/hosts/', "153.6 GHz"],
  ],
  ["storage", () => <Storage initialFilter={{}} />, ["primary-1", "secondary-1", "Add primary storage", "Add secondary storage", "10 TiB"]],
  ["templates", () => <Templates />, ["Tiny Linux", "Register template", "Actions for template Tiny Linux"]],
]);
