-- The demo seed described its Large offering as "HA"; nothing restarts VMs on another host, so the
-- text must not promise it. Only the untouched seeded text is changed.
UPDATE "compute_offerings" SET "display_text" = '4 vCPUs, 8 GiB' WHERE "name" = 'Large' AND "display_text" = '4 vCPUs, 8 GiB, HA';
