-- Why a pairing is paused (set on pause, cleared on resume), shown to
-- coordinators beside the status. Why it ended stays in `end_reason`.
ALTER TABLE mentorships ADD COLUMN pause_reason TEXT;
