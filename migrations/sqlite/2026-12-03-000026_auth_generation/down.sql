ALTER TABLE sync_epoch DROP COLUMN auth_generation;
