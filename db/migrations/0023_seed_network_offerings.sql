-- A database made before network offerings existed (0016) has a ROOT domain and no offering, so
-- its first deploy could not create a default network. Give it the offerings a new install is
-- seeded with (db/seed.ts seedNetworkOfferings); a new database (no ROOT yet) is left to the seed.
INSERT INTO "network_offerings" ("name", "display_text", "guest_type", "services", "egress_default", "is_default")
SELECT v.name, v.display_text, v.guest_type::"network_guest_type", v.services, v.egress_default::"egress_default", v.is_default
FROM (VALUES
  ('Default isolated', 'Isolated network with a virtual router: DHCP, DNS, source NAT, port forwarding, firewall, load balancing', 'isolated', ARRAY['Dhcp','Dns','SourceNat','StaticNat','PortForwarding','Firewall','Lb','UserData']::text[], 'allow', true),
  ('Shared', 'Shared network with DHCP and DNS', 'shared', ARRAY['Dhcp','Dns','UserData']::text[], 'allow', false),
  ('L2', 'Layer-2 network: no router, no IPAM', 'l2', ARRAY[]::text[], 'allow', false)
) AS v(name, display_text, guest_type, services, egress_default, is_default)
WHERE EXISTS (SELECT 1 FROM "domains" WHERE "parent_id" IS NULL)
  AND NOT EXISTS (SELECT 1 FROM "network_offerings");
