-- A job's unique key dedupes within its tenant only. With one key space for everyone, a tenant
-- whose key happened to equal another tenant's (the same store code and minute of a sync, say)
-- had its job silently dropped, and could learn that the other tenant had queued that job.

DROP INDEX jobs_unique_key;
CREATE UNIQUE INDEX jobs_unique_key ON jobs (tenant_id, unique_key) WHERE unique_key IS NOT NULL;

CREATE OR REPLACE FUNCTION jobs_advance_schedule(p_tenant_id bigint, p_schedule_id bigint, p_slots timestamptz[],
                                                 p_next_run_at timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    s job_schedules;
    inserted integer;
BEGIN
    SELECT * INTO s FROM job_schedules WHERE tenant_id = p_tenant_id AND schedule_id = p_schedule_id;
    WITH added AS (
        INSERT INTO jobs (tenant_id, queue, kind, args, unique_key, run_at)
        SELECT s.tenant_id, s.queue, s.kind, s.args || jsonb_build_object('scheduled_for', slot, 'schedule', s.name),
               'schedule:' || s.tenant_id || ':' || s.schedule_id || ':' || to_char(slot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               now()
        FROM unnest(p_slots) AS slot
        ON CONFLICT (tenant_id, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
        RETURNING 1
    ) SELECT count(*) INTO inserted FROM added;
    UPDATE job_schedules SET next_run_at = p_next_run_at,
                             last_slot_at = coalesce((SELECT max(x) FROM unnest(p_slots) x), last_slot_at)
    WHERE tenant_id = p_tenant_id AND schedule_id = p_schedule_id;
    RETURN inserted;
END
$fn$;

CREATE OR REPLACE FUNCTION jobs_enqueue_prune(p_retention_days double precision, p_hour text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    INSERT INTO jobs (tenant_id, queue, kind, args, priority, unique_key)
    VALUES (0, 'default', 'prune', jsonb_build_object('retention_days', greatest(p_retention_days, 0.01)), -10, 'prune:' || p_hour)
    ON CONFLICT (tenant_id, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
$fn$;
