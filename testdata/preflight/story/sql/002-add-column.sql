-- 4.2.0: sync jobs get a period in seconds (dten.sync.interval is deprecated)
BEGIN;
ALTER TABLE sync_jobs ADD COLUMN period_seconds integer;
UPDATE sync_jobs SET period_seconds = interval_minutes * 60;
ALTER TABLE sync_jobs DROP COLUMN interval_minutes;
COMMIT;
