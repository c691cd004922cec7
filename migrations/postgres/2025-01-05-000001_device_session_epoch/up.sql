-- Signing out ends a device's access tokens at once: tokens carry the epoch they
-- were issued in, and logout moves the device to the next one.
ALTER TABLE devices ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
