-- 4.2.1: speeds up the sync job listing
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS sync_jobs_period ON sync_jobs (period_seconds);
