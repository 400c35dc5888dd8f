-- One active code reader per person, enforced by the database: two activations of
-- different devices for one person cannot both commit, whatever the isolation level.
-- A database from before may hold such pairs (the race this closes): the most recently
-- activated device stays active, the others are deactivated as a new activation would.
UPDATE devices SET state = 'deactivated', version = version + 1
WHERE state = 'active' AND EXISTS (
    SELECT 1 FROM devices AS newer
    WHERE newer.user_id = devices.user_id AND newer.state = 'active'
      AND (COALESCE(newer.activated_at, 0) > COALESCE(devices.activated_at, 0)
        OR (COALESCE(newer.activated_at, 0) = COALESCE(devices.activated_at, 0)
            AND newer.serial > devices.serial))
);
CREATE UNIQUE INDEX devices_one_active_per_user ON devices (user_id) WHERE state = 'active';
