-- 0003: durable job queues and recurring schedules.
--
-- `jobs` is the queue every worker daemon claims from. It is infrastructure rather than tenant
-- data: tenant_id is 0 for system jobs (pruning), there is no foreign key to tenants, and on
-- Citus it stays a local table on the coordinator (workers claim across all tenants with
-- FOR UPDATE SKIP LOCKED, which wants one table). It still has tenant_id first in its primary
-- key and row-level security, so a tenant's users see and manage only their own jobs.
--
-- Keeping the hot table small is what keeps a Postgres queue fast: finished jobs are pruned
-- after a retention period, the partial indexes cover only the rows workers look at, and
-- autovacuum visits the table far more often than the defaults would.

CREATE TABLE jobs (
    tenant_id        bigint NOT NULL DEFAULT 0,
    job_id           bigint GENERATED ALWAYS AS IDENTITY,
    queue            text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z0-9_-]{1,40}$'),
    kind             text NOT NULL CHECK (kind ~ '^[a-z0-9_.]{1,64}$'),
    args             jsonb NOT NULL DEFAULT '{}',
    priority         smallint NOT NULL DEFAULT 0,
    state            text NOT NULL DEFAULT 'available'
                     CHECK (state IN ('available', 'running', 'succeeded', 'dead', 'cancelled')),
    attempt          integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at           timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    unique_key       text,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (tenant_id, job_id)
) WITH (fillfactor = 70,
        autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 500,
        autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);

CREATE UNIQUE INDEX jobs_id ON jobs (job_id);
-- A unique key dedupes for as long as the job is kept (one sync per store per window, one run
-- per schedule slot); pruning frees it.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;
-- What workers scan: ready jobs, by tenant (for the fair claim) and by order.
CREATE INDEX jobs_ready_tenant ON jobs (tenant_id, queue, priority DESC, run_at, job_id) WHERE state = 'available';
CREATE INDEX jobs_running ON jobs (tenant_id) WHERE state = 'running';
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('succeeded', 'cancelled', 'dead');

-- Idle workers wake on this instead of polling; polling every few seconds is only the fallback.
-- Only jobs that become available notify: claims and completions, most of the updates, would
-- wake every worker for nothing, and every notifying commit waits for the others in turn.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('shoprecon_jobs', q) FROM (SELECT DISTINCT queue AS q FROM new_jobs WHERE state = 'available') x;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER notify_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();
CREATE TRIGGER notify_update AFTER UPDATE ON jobs REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_all ON jobs TO CURRENT_USER USING (true) WITH CHECK (true);
-- A tenant's users see their jobs; enqueueing, cancelling and retrying one needs the
-- permission of its kind (sales, with none of them, can do nothing here).
CREATE FUNCTION job_kind_permission(p_kind text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE p_kind
        WHEN 'channel_sync' THEN 'import.run'
        WHEN 'reconcile_run' THEN 'recon.run'
        WHEN 'report_export' THEN 'report.export'
        ELSE 'settings.manage'
    END
$fn$;
CREATE POLICY tenant_select ON jobs FOR SELECT TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id()));
CREATE POLICY tenant_insert ON jobs FOR INSERT TO shoprecon_app
    WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND app_has_permission(job_kind_permission(kind)));
CREATE POLICY tenant_update ON jobs FOR UPDATE TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id()) AND app_has_permission(job_kind_permission(kind)))
    WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND app_has_permission(job_kind_permission(kind)));
GRANT SELECT, INSERT, UPDATE (state, run_at, attempt, max_attempts, last_error, finished_at) ON jobs TO shoprecon_app;

-- Recurring schedules: a cron expression evaluated in the tenant's time zone (or the
-- schedule's own). Daemons enqueue each slot once, with the unique key
-- 'schedule:<tenant>:<schedule>:<slot>', however many of them run.
CREATE TABLE job_schedules (
    tenant_id    bigint NOT NULL REFERENCES tenants,
    schedule_id  bigint GENERATED ALWAYS AS IDENTITY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind         text NOT NULL CHECK (kind ~ '^[a-z0-9_.]{1,64}$'),
    queue        text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z0-9_-]{1,40}$'),
    args         jsonb NOT NULL DEFAULT '{}',
    cron         text NOT NULL,
    time_zone    text,
    enabled      boolean NOT NULL DEFAULT true,
    next_run_at  timestamptz NOT NULL,
    last_slot_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, schedule_id),
    UNIQUE (tenant_id, name)
);
CREATE INDEX job_schedules_due ON job_schedules (next_run_at) WHERE enabled;
SELECT shoprecon_protect_tenant_table('job_schedules', NULL, 'settings.manage');
GRANT SELECT, INSERT, UPDATE, DELETE ON job_schedules TO shoprecon_app;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON job_schedules
    FOR EACH ROW EXECUTE FUNCTION shoprecon_audit_change();

-- The worker side. Daemons connect as the application role and act across tenants only through
-- these functions; the work of a job then runs under that tenant's context like any session.

-- Claims up to p_limit ready jobs of the given queues, fairly across tenants: no tenant gets
-- more than p_tenant_cap jobs running at once (system jobs, tenant 0, are not capped), and a
-- tenant with a long backlog cannot hide another tenant's jobs, because candidates are taken
-- per tenant (a loose index scan over the tenants that have ready jobs) before ordering.
--
-- The cap counts a tenant's running jobs, so two claims must not count the same tenant at once
-- (both would see room, and together exceed the cap): a claim first takes a transaction-level
-- advisory lock on each tenant it will claim for, skipping tenants another claim holds (as SKIP
-- LOCKED skips rows), and counts in a later statement, whose snapshot sees every claim that
-- committed before the lock was granted.
--
-- Every scan here follows jobs_ready_tenant in its order, so that a claim costs the same with a
-- backlog of millions whatever the statistics say: both the loose scan over tenants and the
-- candidates go queue by queue, with queue = q rather than queue = ANY (...), whose index order
-- the planner cannot use (with stale statistics it sorted the whole backlog for every claim).
-- A tenant's candidates from several queues are cut to its room afterwards. The loose scan walks
-- the tenants backwards, entering each one's range of the index at its end: the entries of jobs
-- claimed already are at the start, and while a long transaction anywhere in the cluster keeps
-- them from being cleaned up, walking past them (as the candidates' scan has to) costs a heap
-- visit each; done twice per claim, it made claims twice as slow as they need to be then.
-- JIT is off: with many tenants ready the estimates pass jit_above_cost, and compiling the
-- statement took ten times longer than running it.
CREATE FUNCTION jobs_claim(p_queues text[], p_worker text, p_limit integer, p_lease interval, p_tenant_cap integer)
RETURNS SETOF jobs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $fn$
DECLARE
    v_queues text[] := ARRAY(SELECT DISTINCT q FROM unnest(p_queues) AS q);
    v_tenants bigint[];
BEGIN
    v_tenants := ARRAY(
        WITH RECURSIVE ready_tenants(tenant_id) AS (
            SELECT max(x.tenant_id) FROM unnest(v_queues) AS q(queue)
            CROSS JOIN LATERAL (SELECT j.tenant_id FROM jobs j
                                WHERE j.state = 'available' AND j.queue = q.queue AND j.run_at <= now()
                                ORDER BY j.tenant_id DESC LIMIT 1) x
            UNION ALL
            SELECT (SELECT max(x.tenant_id) FROM unnest(v_queues) AS q(queue)
                    CROSS JOIN LATERAL (SELECT j.tenant_id FROM jobs j
                                        WHERE j.state = 'available' AND j.queue = q.queue AND j.run_at <= now()
                                          AND j.tenant_id < r.tenant_id
                                        ORDER BY j.tenant_id DESC LIMIT 1) x)
            FROM ready_tenants r WHERE r.tenant_id IS NOT NULL
        )
        SELECT r.tenant_id FROM ready_tenants r
        WHERE r.tenant_id IS NOT NULL
          AND (r.tenant_id = 0 OR pg_try_advisory_xact_lock(hashtext('shoprecon.jobs_claim'), hashint8(r.tenant_id))));
    RETURN QUERY
    WITH candidates AS (
        SELECT c.tenant_id, c.job_id, c.priority, c.run_at, room.n AS room
        FROM unnest(v_tenants) AS r(tenant_id)
        CROSS JOIN LATERAL (
            SELECT CASE WHEN r.tenant_id = 0 THEN p_limit
                        ELSE greatest(0, least(p_limit, p_tenant_cap - (SELECT count(*) FROM jobs x
                                                                        WHERE x.tenant_id = r.tenant_id AND x.state = 'running')))
                   END AS n
            OFFSET 0  -- counted once per tenant, not once per candidate
        ) room
        CROSS JOIN LATERAL unnest(v_queues) AS q(queue)
        CROSS JOIN LATERAL (
            SELECT j.tenant_id, j.job_id, j.priority, j.run_at FROM jobs j
            WHERE j.tenant_id = r.tenant_id AND j.queue = q.queue AND j.state = 'available' AND j.run_at <= now()
            ORDER BY j.priority DESC, j.run_at, j.job_id
            LIMIT room.n
            FOR UPDATE SKIP LOCKED
        ) c
    ),
    chosen AS (
        SELECT ranked.tenant_id, ranked.job_id FROM (
            SELECT c.*, row_number() OVER (PARTITION BY c.tenant_id ORDER BY c.priority DESC, c.run_at, c.job_id) AS rank
            FROM candidates c
        ) ranked
        WHERE ranked.rank <= ranked.room
        ORDER BY ranked.priority DESC, ranked.run_at, ranked.job_id LIMIT p_limit
    )
    UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, lease_owner = p_worker,
                      lease_expires_at = now() + p_lease, started_at = now()
    FROM chosen c WHERE j.tenant_id = c.tenant_id AND j.job_id = c.job_id
    RETURNING j.*;
END
$fn$;

-- Marks jobs done; only the worker holding the lease can. Returns the ids it completed.
-- The state is compared with (SELECT 'running') rather than a constant, which no partial index on
-- running jobs matches: the jobs are then looked up by id. Through jobs_running or jobs_lease,
-- each call walked the entries of every job completed before (a heap visit each while a long
-- transaction anywhere in the cluster keeps them from being cleaned up).
CREATE FUNCTION jobs_complete(p_job_ids bigint[], p_worker text) RETURNS SETOF bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    UPDATE jobs SET state = 'succeeded', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
    WHERE job_id = ANY (p_job_ids) AND state = (SELECT 'running') AND lease_owner = p_worker
    RETURNING job_id
$fn$;

-- Records a failure: back to 'available' at p_retry_at, or 'dead' after max_attempts (or when
-- p_retry_at is NULL: the handler said retrying cannot help). The error is kept.
CREATE FUNCTION jobs_fail(p_job_id bigint, p_worker text, p_error text, p_retry_at timestamptz) RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    UPDATE jobs SET state = CASE WHEN attempt >= max_attempts OR p_retry_at IS NULL THEN 'dead' ELSE 'available' END,
                    run_at = coalesce(p_retry_at, run_at),
                    finished_at = CASE WHEN attempt >= max_attempts OR p_retry_at IS NULL THEN now() END,
                    last_error = left(p_error, 4000), lease_owner = NULL, lease_expires_at = NULL
    WHERE job_id = p_job_id AND state = 'running' AND lease_owner = p_worker
    RETURNING state
$fn$;

-- Extends the leases of jobs still running on this worker.
CREATE FUNCTION jobs_heartbeat(p_job_ids bigint[], p_worker text, p_lease interval) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    WITH touched AS (
        UPDATE jobs SET lease_expires_at = now() + p_lease
        WHERE job_id = ANY (p_job_ids) AND state = 'running' AND lease_owner = p_worker
        RETURNING 1
    ) SELECT count(*)::integer FROM touched
$fn$;

-- Hands jobs back that a worker holds but will not finish (graceful shutdown).
CREATE FUNCTION jobs_release(p_job_ids bigint[], p_worker text) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    WITH released AS (
        UPDATE jobs SET state = 'available', attempt = greatest(attempt - 1, 0), lease_owner = NULL,
                        lease_expires_at = NULL, run_at = now()
        WHERE job_id = ANY (p_job_ids) AND state = 'running' AND lease_owner = p_worker
        RETURNING 1
    ) SELECT count(*)::integer FROM released
$fn$;

-- Returns jobs whose lease expired (their worker crashed or hangs) to the queue, or buries them
-- when they have used all attempts.
CREATE FUNCTION jobs_rescue() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    WITH rescued AS (
        UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'available' END,
                        finished_at = CASE WHEN attempt >= max_attempts THEN now() END,
                        last_error = 'lease of worker ' || coalesce(lease_owner, '?') || ' expired at ' || lease_expires_at::text,
                        lease_owner = NULL, lease_expires_at = NULL, run_at = now()
        WHERE state = 'running' AND lease_expires_at < now()
        RETURNING 1
    ) SELECT count(*)::integer FROM rescued
$fn$;

-- Deletes finished jobs older than the retention period, in bounded batches.
CREATE FUNCTION jobs_prune(p_retention interval, p_batch integer DEFAULT 10000) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    WITH doomed AS (
        SELECT tenant_id, job_id FROM jobs
        WHERE state IN ('succeeded', 'cancelled', 'dead') AND finished_at < now() - p_retention
        LIMIT p_batch
    ), deleted AS (
        DELETE FROM jobs j USING doomed d WHERE j.tenant_id = d.tenant_id AND j.job_id = d.job_id RETURNING 1
    ) SELECT count(*)::integer FROM deleted
$fn$;

-- Queue depth per queue and state, for metrics and `jobs stats` across tenants.
CREATE FUNCTION jobs_depth() RETURNS TABLE (queue text, state text, jobs bigint)
LANGUAGE sql SECURITY DEFINER STABLE SET search_path = public, pg_temp AS $fn$
    SELECT queue, state, count(*) FROM jobs WHERE state IN ('available', 'running') GROUP BY queue, state
$fn$;

-- Schedules that are due, locked so that one daemon handles each; the caller enqueues the slots
-- and moves next_run_at in the same transaction.
CREATE FUNCTION jobs_due_schedules(p_limit integer)
RETURNS TABLE (tenant_id bigint, schedule_id bigint, name text, kind text, queue text, args jsonb, cron text,
               time_zone text, next_run_at timestamptz, last_slot_at timestamptz)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    SELECT s.tenant_id, s.schedule_id, s.name, s.kind, s.queue, s.args, s.cron,
           coalesce(s.time_zone, t.time_zone), s.next_run_at, s.last_slot_at
    FROM job_schedules s JOIN tenants t ON t.tenant_id = s.tenant_id AND t.status = 'active'
    WHERE s.enabled AND s.next_run_at <= now()
    ORDER BY s.next_run_at LIMIT p_limit
    FOR UPDATE OF s SKIP LOCKED
$fn$;

-- Enqueues the given slots of a schedule (each once, by unique key) and moves it forward.
CREATE FUNCTION jobs_advance_schedule(p_tenant_id bigint, p_schedule_id bigint, p_slots timestamptz[],
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
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING
        RETURNING 1
    ) SELECT count(*) INTO inserted FROM added;
    UPDATE job_schedules SET next_run_at = p_next_run_at,
                             last_slot_at = coalesce((SELECT max(x) FROM unnest(p_slots) x), last_slot_at)
    WHERE tenant_id = p_tenant_id AND schedule_id = p_schedule_id;
    RETURN inserted;
END
$fn$;

-- Marks left by `noop` jobs that ask for one, in the job's own transaction: `shoprecon jobs ping`
-- uses them to prove a daemon is working, and tests to prove an effect is applied exactly once.
CREATE TABLE job_marks (
    tenant_id  bigint NOT NULL DEFAULT 0,
    job_id     bigint NOT NULL,
    mark       text NOT NULL,
    worker     text NOT NULL,
    attempt    integer NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, at)
);
ALTER TABLE job_marks ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_marks FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_all ON job_marks TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY tenant_select ON job_marks FOR SELECT TO shoprecon_app USING (tenant_id = (SELECT app_tenant_id()));
GRANT SELECT ON job_marks TO shoprecon_app;

CREATE FUNCTION jobs_mark(p_job_id bigint, p_worker text, p_mark text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    INSERT INTO job_marks (tenant_id, job_id, mark, worker, attempt)
    SELECT tenant_id, job_id, p_mark, p_worker, attempt FROM jobs
    WHERE job_id = p_job_id AND state = 'running' AND lease_owner = p_worker
$fn$;

-- Enqueues the hourly system `prune` job (tenant 0, which the application role cannot insert
-- directly); the unique key makes it one job per hour however many daemons ask.
CREATE FUNCTION jobs_enqueue_prune(p_retention_days double precision, p_hour text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
    INSERT INTO jobs (tenant_id, queue, kind, args, priority, unique_key)
    VALUES (0, 'default', 'prune', jsonb_build_object('retention_days', greatest(p_retention_days, 0.01)), -10, 'prune:' || p_hour)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING
$fn$;

REVOKE ALL ON FUNCTION jobs_claim(text[], text, integer, interval, integer), jobs_complete(bigint[], text),
    jobs_fail(bigint, text, text, timestamptz), jobs_heartbeat(bigint[], text, interval), jobs_release(bigint[], text),
    jobs_rescue(), jobs_prune(interval, integer), jobs_depth(), jobs_due_schedules(integer),
    jobs_advance_schedule(bigint, bigint, timestamptz[], timestamptz), jobs_mark(bigint, text, text),
    jobs_enqueue_prune(double precision, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs_claim(text[], text, integer, interval, integer), jobs_complete(bigint[], text),
    jobs_fail(bigint, text, text, timestamptz), jobs_heartbeat(bigint[], text, interval), jobs_release(bigint[], text),
    jobs_rescue(), jobs_prune(interval, integer), jobs_depth(), jobs_due_schedules(integer),
    jobs_advance_schedule(bigint, bigint, timestamptz[], timestamptz), jobs_mark(bigint, text, text),
    jobs_enqueue_prune(double precision, text) TO shoprecon_app;
