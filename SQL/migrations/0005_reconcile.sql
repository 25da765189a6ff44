-- 0005: reconciliation: settings and rate cards, runs, matches with their allocations,
-- exceptions with their workflow history, custom rules, approvals, the notification outbox and
-- closed periods.
--
-- A run covers one period (a calendar month in the tenant's time zone), some flows and
-- optionally one store. Its automatic matches and exceptions are written by set-based
-- statements (see Sources/Reconcile); a re-run of the same scope replaces its automatic matches
-- and nothing else. Manual matches have no run and survive re-runs. Exceptions are keyed by
-- (type, record), so a re-run finds the exception someone is already working on and keeps its
-- status, assignee and history.

-- Tolerances and windows of a tenant; a tenant without a row uses the defaults.
CREATE TABLE recon_settings (
    tenant_id                bigint PRIMARY KEY REFERENCES tenants,
    amount_tolerance         bigint NOT NULL DEFAULT 0 CHECK (amount_tolerance >= 0),
    amount_tolerance_pct     numeric(6, 3) NOT NULL DEFAULT 0 CHECK (amount_tolerance_pct >= 0),
    settlement_lag_days      integer NOT NULL DEFAULT 7 CHECK (settlement_lag_days BETWEEN 0 AND 90),
    bank_date_window_days    integer NOT NULL DEFAULT 5 CHECK (bank_date_window_days BETWEEN 0 AND 60),
    receivable_terms_days    integer NOT NULL DEFAULT 15 CHECK (receivable_terms_days BETWEEN 0 AND 365),
    return_receive_days      integer NOT NULL DEFAULT 14 CHECK (return_receive_days BETWEEN 0 AND 365),
    courier_tolerance        bigint NOT NULL DEFAULT 0 CHECK (courier_tolerance >= 0),
    duplicate_window_minutes integer NOT NULL DEFAULT 10 CHECK (duplicate_window_minutes BETWEEN 0 AND 1440),
    -- provider -> [lowest, highest] fee rate as a fraction of the sale.
    fee_rates                jsonb NOT NULL DEFAULT '{"alipay": [0, 0.06], "wechatpay": [0, 0.01], "douyin": [0, 0.1],
                                                      "jd": [0, 0.1], "pinduoduo": [0, 0.06], "shopify": [0, 0.05],
                                                      "amazon": [0, 0.2]}'
);

-- Courier prices per zone: first weight for a fixed fee, then a price per started kilogram.
CREATE TABLE courier_rate_cards (
    tenant_id      bigint NOT NULL REFERENCES tenants,
    courier        text NOT NULL,
    zone           text NOT NULL,
    first_weight_g integer NOT NULL DEFAULT 1000 CHECK (first_weight_g > 0),
    first_fee      bigint NOT NULL CHECK (first_fee >= 0),
    extra_per_kg   bigint NOT NULL CHECK (extra_per_kg >= 0),
    currency       char(3) NOT NULL DEFAULT 'CNY',
    PRIMARY KEY (tenant_id, courier, zone)
);

-- A closed period: its records, matches and exceptions can no longer change.
CREATE TABLE recon_periods (
    tenant_id  bigint NOT NULL REFERENCES tenants,
    period     date NOT NULL CHECK (extract(day FROM period) = 1),
    closed_at  timestamptz NOT NULL DEFAULT now(),
    closed_by  text NOT NULL,
    PRIMARY KEY (tenant_id, period)
);

CREATE TABLE recon_runs (
    tenant_id    bigint NOT NULL REFERENCES tenants,
    run_id       bigint GENERATED ALWAYS AS IDENTITY,
    period       date NOT NULL CHECK (extract(day FROM period) = 1),
    flows        text[] NOT NULL,
    store_id     bigint,
    as_of        date NOT NULL,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    job_id       bigint,
    actor        text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    stats        jsonb NOT NULL DEFAULT '{}',
    error        text,
    PRIMARY KEY (tenant_id, run_id),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);
CREATE INDEX recon_runs_period ON recon_runs (tenant_id, period);

-- A match ties records of one side to records of the other; its allocations say how much of
-- each record it accounts for. `left` is the side the flow starts from (orders, payouts,
-- returns), `right` the evidence (platform transactions, bank lines, courier lines).
-- A run writes a million matches and two million allocations for a large merchant and a re-run
-- deletes them again, set-based: foreign keys (to tenants, runs, matches) would add a per-row
-- check or cascade to each of those rows, so there are none; the code that writes and deletes
-- matches (Sources/Reconcile) keeps them together.
CREATE TABLE recon_matches (
    tenant_id    bigint NOT NULL,
    match_id     bigint GENERATED ALWAYS AS IDENTITY,
    run_id       bigint,                        -- NULL for manual matches
    anchor_type  text NOT NULL,                 -- the record the match is about: its first left record
    anchor_id    bigint NOT NULL,
    -- A one-to-one automatic match keeps its two records here instead of in recon_allocations
    -- (a million of them in a large merchant's month); recon_match_records shows both kinds.
    counter_type text,
    counter_id   bigint,
    currency     char(3),
    left_amount  bigint,
    right_amount bigint,
    period       date NOT NULL,
    flow         text NOT NULL CHECK (flow IN ('orders', 'collections', 'returns')),
    store_id     bigint,
    shape        text NOT NULL CHECK (shape IN ('one_to_one', 'one_to_many', 'many_to_one', 'many_to_many')),
    rule         text NOT NULL,                 -- exact:order_no, amount+date, sum:day, manual, ...
    confidence   numeric(3, 2) NOT NULL DEFAULT 1 CHECK (confidence > 0 AND confidence <= 1),
    manual       boolean NOT NULL DEFAULT false,
    reason       text,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, match_id),
    CHECK (manual = (run_id IS NULL)),
    CHECK (NOT manual OR reason IS NOT NULL)
);
CREATE INDEX recon_matches_scope ON recon_matches (tenant_id, period, flow);
CREATE INDEX recon_matches_manual ON recon_matches (tenant_id, match_id) WHERE manual;

CREATE TABLE recon_allocations (
    tenant_id    bigint NOT NULL,
    match_id     bigint NOT NULL,
    side         text NOT NULL CHECK (side IN ('left', 'right')),
    record_type  text NOT NULL CHECK (record_type IN ('order', 'transaction', 'payout', 'bank_line', 'return', 'courier_line')),
    record_id    bigint NOT NULL,
    store_id     bigint,
    currency     char(3) NOT NULL,
    amount       bigint NOT NULL,
    PRIMARY KEY (tenant_id, match_id, side, record_type, record_id)
);

-- Every record of every match, whether kept in recon_allocations or on a one-to-one match row.
-- security_invoker: row-level security of the tables applies to whoever reads the view.
CREATE VIEW recon_match_records WITH (security_invoker = true) AS
SELECT tenant_id, match_id, side, record_type, record_id, store_id, currency, amount FROM recon_allocations
UNION ALL
SELECT tenant_id, match_id, 'left', anchor_type, anchor_id, store_id, currency, left_amount
FROM recon_matches WHERE counter_id IS NOT NULL
UNION ALL
SELECT tenant_id, match_id, 'right', counter_type, counter_id, store_id, currency, right_amount
FROM recon_matches WHERE counter_id IS NOT NULL;

CREATE TABLE recon_exceptions (
    tenant_id     bigint NOT NULL REFERENCES tenants,
    exception_id  bigint GENERATED ALWAYS AS IDENTITY,
    run_id        bigint,                        -- the run that last found it
    period        date NOT NULL,
    flow          text NOT NULL CHECK (flow IN ('orders', 'collections', 'returns')),
    type          text NOT NULL CHECK (type ~ '^[a-z_]+(:[a-z0-9_.-]+)?$'),
    severity      text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_review', 'resolved', 'written_off')),
    record_type   text NOT NULL CHECK (record_type IN ('order', 'transaction', 'payout', 'bank_line', 'return', 'courier_line')),
    record_id     bigint NOT NULL,
    store_id      bigint,
    channel       text,
    reference     text,
    currency      char(3),
    expected      bigint,
    actual        bigint,
    difference    bigint,
    detail        jsonb NOT NULL DEFAULT '{}',
    assignee_id   bigint,
    hold_until    date,
    resolution    text,
    found_at      timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, exception_id),
    UNIQUE (tenant_id, type, record_type, record_id),
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES users
);
CREATE INDEX recon_exceptions_period ON recon_exceptions (tenant_id, period, flow, status);

-- Every step of an exception's workflow, appended by the CLI and by runs.
CREATE TABLE recon_exception_events (
    tenant_id     bigint NOT NULL,
    event_id      bigint GENERATED ALWAYS AS IDENTITY,
    exception_id  bigint NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    action        text NOT NULL,                 -- found, assigned, status, note, hold, cleared, reopened
    from_status   text,
    to_status     text,
    note          text,
    PRIMARY KEY (tenant_id, event_id),
    FOREIGN KEY (tenant_id, exception_id) REFERENCES recon_exceptions ON DELETE CASCADE
);
CREATE INDEX recon_exception_events_exception ON recon_exception_events (tenant_id, exception_id);

-- Custom rules, stored as data: a condition over a record's fields (kept as the text the user
-- wrote and as the parsed JSON tree the engine compiles to a parameterized predicate) and an
-- action: raise an exception, require an approval, or notify a webhook.
CREATE TABLE recon_rules (
    tenant_id     bigint NOT NULL REFERENCES tenants,
    rule_id       bigint GENERATED ALWAYS AS IDENTITY,
    name          text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    record_type   text NOT NULL CHECK (record_type IN ('order', 'transaction', 'payout', 'bank_line', 'return', 'courier_line')),
    condition     text NOT NULL,
    condition_ast jsonb NOT NULL,
    action        text NOT NULL CHECK (action IN ('exception', 'approval', 'notify')),
    severity      text CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    approver_role text,
    webhook_url   text CHECK (webhook_url ~ '^https?://'),
    enabled       boolean NOT NULL DEFAULT true,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, rule_id),
    UNIQUE (tenant_id, name),
    CHECK (action <> 'approval' OR approver_role IS NOT NULL),
    CHECK (action <> 'notify' OR webhook_url IS NOT NULL),
    CHECK (action <> 'exception' OR severity IS NOT NULL)
);

-- Records a rule holds back until someone with the approver role decides.
CREATE TABLE recon_approvals (
    tenant_id     bigint NOT NULL REFERENCES tenants,
    approval_id   bigint GENERATED ALWAYS AS IDENTITY,
    rule_id       bigint NOT NULL,
    period        date NOT NULL,
    record_type   text NOT NULL,
    record_id     bigint NOT NULL,
    store_id      bigint,
    reference     text,
    currency      char(3),
    amount        bigint,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    decided_by    text,
    decided_at    timestamptz,
    note          text,
    PRIMARY KEY (tenant_id, approval_id),
    UNIQUE (tenant_id, rule_id, record_type, record_id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES recon_rules ON DELETE CASCADE
);

-- Webhook notifications waiting for the `notify` job; written in the transaction that decided
-- them, so none is lost and none is sent for work that rolled back.
CREATE TABLE notification_outbox (
    tenant_id     bigint NOT NULL REFERENCES tenants,
    outbox_id     bigint GENERATED ALWAYS AS IDENTITY,
    rule_id       bigint,
    url           text NOT NULL,
    payload       jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz,
    PRIMARY KEY (tenant_id, outbox_id),
    UNIQUE (tenant_id, rule_id, payload)
);
CREATE INDEX notification_outbox_pending ON notification_outbox (tenant_id, outbox_id) WHERE status = 'pending';

-- References as the sources print them, reduced to what identifies them: no blanks, TABs or
-- quotes, no Excel `="…"` wrapper, no Alipay `T200P`-style prefix, upper case. Runs normalize
-- millions of references: the two common shapes (digits; `T200P` + digits) take a fast path,
-- and both functions are inlined into the statements that call them (so they are not STRICT,
-- which would prevent that; NULL gives NULL all the same).
CREATE FUNCTION recon_norm_ref_general(ref text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN ltrim(upper(translate(ref, E' \t\r\n\u00a0\u3000"=''`', '')), '-') = '' THEN NULL
        WHEN upper(translate(ref, E' \t\r\n\u00a0\u3000"=''`', '')) LIKE 'T___P_%'
             AND substr(upper(translate(ref, E' \t\r\n\u00a0\u3000"=''`', '')), 2, 3) ~ '^[0-9]{3}$'
             AND substr(upper(translate(ref, E' \t\r\n\u00a0\u3000"=''`', '')), 6, 1) BETWEEN '0' AND '9'
        THEN substr(upper(translate(ref, E' \t\r\n\u00a0\u3000"=''`', '')), 6)
        ELSE upper(translate(ref, E' \t\r\n\u00a0\u3000"=''`', ''))
    END
$fn$;

CREATE FUNCTION recon_norm_ref(ref text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN ref ~ '^[0-9]+$' THEN ref
        WHEN ref ~ '^T[0-9]{3}P[0-9]+$' THEN substr(ref, 6)
        ELSE recon_norm_ref_general(ref)
    END
$fn$;

-- Today in the tenant's time zone (holds, ages and as-of dates are judged on it).
CREATE FUNCTION recon_tenant_today(p_tenant bigint) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT (now() AT TIME ZONE t.time_zone)::date FROM tenants t WHERE t.tenant_id = p_tenant
$fn$;

-- The first day of the tenant's month that `at` falls in.
CREATE FUNCTION recon_period_of(p_tenant bigint, at timestamptz) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT date_trunc('month', at AT TIME ZONE (SELECT t.time_zone FROM tenants t WHERE t.tenant_id = p_tenant))::date
$fn$;

-- Refuses a change to records dated in a closed period (SQLSTATE SR005, exit code 5 in the CLI).
-- Statement-level, with transition tables, so a large import pays one check, not one per row.
-- Matches are checked by the code that writes them (runs and manual matches refuse a closed
-- period before they start), which spares a run's million inserts the transition table.
-- TG_ARGV[0] is the record's date expression over the transition table `r`.
CREATE FUNCTION recon_guard_closed_period() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    v_period date;
    v_tenant bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM recon_periods) THEN
        RETURN NULL;
    END IF;
    FOR v_tenant, v_period IN EXECUTE format(
        'SELECT p.tenant_id, p.period FROM recon_periods p JOIN (
             SELECT r.tenant_id, %s AS d FROM changed_rows r) c ON c.tenant_id = p.tenant_id
         JOIN tenants t ON t.tenant_id = p.tenant_id
         WHERE c.d IS NOT NULL AND date_trunc(''month'', c.d AT TIME ZONE t.time_zone)::date = p.period LIMIT 1',
        TG_ARGV[0])
    LOOP
        RAISE EXCEPTION 'the period % is closed: % cannot change', to_char(v_period, 'YYYY-MM'), TG_TABLE_NAME
            USING ERRCODE = 'SR005',
                  HINT = 'closed periods are locked; ask a finance manager to reopen it with `shoprecon recon reopen --period '
                         || to_char(v_period, 'YYYY-MM') || '`';
    END LOOP;
    RETURN NULL;
END
$fn$;

DO $do$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('orders', 'r.created_at'),
        ('platform_transactions', 'r.occurred_at'),
        ('payouts', 'r.payout_date::timestamp AT TIME ZONE ''UTC'''),
        ('bank_statement_lines', 'coalesce(r.value_date, r.booking_date)::timestamp AT TIME ZONE ''UTC'''),
        ('returns', 'r.created_at'),
        ('courier_bill_lines', 'r.ship_date::timestamp AT TIME ZONE ''UTC'''),
        ('recon_exceptions', '(r.period::timestamp AT TIME ZONE ''UTC'')')
    ) AS v(tbl, expr) LOOP
        EXECUTE format('CREATE TRIGGER closed_period_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION recon_guard_closed_period(%L)', t.tbl, t.expr);
        EXECUTE format('CREATE TRIGGER closed_period_update_old AFTER UPDATE ON %I REFERENCING OLD TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION recon_guard_closed_period(%L)', t.tbl, t.expr);
        EXECUTE format('CREATE TRIGGER closed_period_update_new AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION recon_guard_closed_period(%L)', t.tbl, t.expr);
        EXECUTE format('CREATE TRIGGER closed_period_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION recon_guard_closed_period(%L)', t.tbl, t.expr);
    END LOOP;
END
$do$;

-- Row-level security. Amounts need order.view_financial to read. Automatic results are written
-- by runs (recon.run); manual matches need match.manual; the workflow needs exception.resolve;
-- decisions on approvals need exception.approve; rules, settings and rate cards settings.manage.
SELECT shoprecon_protect_tenant_table('recon_settings', NULL, 'settings.manage');
SELECT shoprecon_protect_tenant_table('courier_rate_cards', 'order.view_financial', 'settings.manage');
SELECT shoprecon_protect_tenant_table('recon_periods', NULL, 'recon.run');
SELECT shoprecon_protect_tenant_table('recon_runs', NULL, 'recon.run');
SELECT shoprecon_protect_tenant_table('recon_rules', 'order.view_financial', 'settings.manage');
SELECT shoprecon_protect_tenant_table('notification_outbox', 'order.view_financial', 'recon.run');
-- Runs (recon.run) queue `notify` jobs for what their rules decided.
CREATE OR REPLACE FUNCTION job_kind_permission(p_kind text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE p_kind
        WHEN 'channel_sync' THEN 'import.run'
        WHEN 'reconcile_run' THEN 'recon.run'
        WHEN 'notify' THEN 'recon.run'
        WHEN 'report_export' THEN 'report.export'
        ELSE 'settings.manage'
    END
$fn$;

SELECT shoprecon_protect_tenant_table('recon_matches', 'order.view_financial', NULL, 'store_id');
SELECT shoprecon_protect_tenant_table('recon_allocations', 'order.view_financial', NULL, 'store_id');
CREATE POLICY tenant_write ON recon_matches FOR ALL TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_all_stores()) OR store_id = ANY ((SELECT app_store_ids())::bigint[]))
           AND CASE WHEN manual THEN (SELECT app_has_permission('match.manual')) ELSE (SELECT app_has_permission('recon.run')) END)
    WITH CHECK (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_all_stores()) OR store_id = ANY ((SELECT app_store_ids())::bigint[]))
           AND CASE WHEN manual THEN (SELECT app_has_permission('match.manual')) ELSE (SELECT app_has_permission('recon.run')) END);
CREATE POLICY tenant_write ON recon_allocations FOR ALL TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_has_permission('match.manual')) OR (SELECT app_has_permission('recon.run'))))
    WITH CHECK (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_has_permission('match.manual')) OR (SELECT app_has_permission('recon.run'))));

SELECT shoprecon_protect_tenant_table('recon_exceptions', 'order.view_financial', NULL, 'store_id');
-- Store-scoped users see the exceptions of their stores; bank-level ones (no store) need every store.
CREATE POLICY tenant_write ON recon_exceptions FOR ALL TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_all_stores()) OR store_id = ANY ((SELECT app_store_ids())::bigint[]))
           AND ((SELECT app_has_permission('exception.resolve')) OR (SELECT app_has_permission('recon.run'))))
    WITH CHECK (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_all_stores()) OR store_id = ANY ((SELECT app_store_ids())::bigint[]))
           AND ((SELECT app_has_permission('exception.resolve')) OR (SELECT app_has_permission('recon.run'))));
SELECT shoprecon_protect_tenant_table('recon_exception_events', 'order.view_financial', NULL);
CREATE POLICY tenant_insert ON recon_exception_events FOR INSERT TO shoprecon_app
    WITH CHECK (tenant_id = (SELECT app_tenant_id())
                AND ((SELECT app_has_permission('exception.resolve')) OR (SELECT app_has_permission('recon.run'))));

SELECT shoprecon_protect_tenant_table('recon_approvals', 'order.view_financial', NULL, 'store_id');
CREATE POLICY tenant_insert ON recon_approvals FOR INSERT TO shoprecon_app
    WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND (SELECT app_has_permission('recon.run')));
CREATE POLICY tenant_delete ON recon_approvals FOR DELETE TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id()) AND (SELECT app_has_permission('recon.run')));
CREATE POLICY tenant_update ON recon_approvals FOR UPDATE TO shoprecon_app
    USING (tenant_id = (SELECT app_tenant_id())
           AND ((SELECT app_all_stores()) OR store_id = ANY ((SELECT app_store_ids())::bigint[]))
           AND (SELECT app_has_permission('exception.approve')))
    WITH CHECK (tenant_id = (SELECT app_tenant_id()) AND (SELECT app_has_permission('exception.approve')));

GRANT SELECT, INSERT, UPDATE, DELETE ON recon_settings, courier_rate_cards, recon_periods, recon_rules,
    recon_matches, recon_allocations, recon_approvals TO shoprecon_app;
GRANT SELECT ON recon_match_records TO shoprecon_app;
GRANT SELECT, INSERT, UPDATE (status, run_id, severity, expected, actual, difference, detail, currency, reference,
    channel, store_id, assignee_id, hold_until, resolution, updated_at), DELETE ON recon_exceptions TO shoprecon_app;
GRANT SELECT, INSERT ON recon_exception_events TO shoprecon_app;
GRANT SELECT, INSERT, UPDATE (status, finished_at, stats, error, job_id) ON recon_runs TO shoprecon_app;
GRANT SELECT, INSERT, UPDATE (status, attempts, last_error, delivered_at) ON notification_outbox TO shoprecon_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO shoprecon_app;

-- Who changed the workflow, the rules, the settings and the manual matches is in the audit log.
DO $do$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['recon_settings', 'courier_rate_cards', 'recon_periods', 'recon_rules', 'recon_approvals'] LOOP
        EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %I
                        FOR EACH ROW EXECUTE FUNCTION shoprecon_audit_change()', t);
    END LOOP;
END
$do$;
CREATE TRIGGER audit_insert AFTER INSERT ON recon_matches
    FOR EACH ROW WHEN (NEW.manual) EXECUTE FUNCTION shoprecon_audit_change();
CREATE TRIGGER audit_delete AFTER DELETE ON recon_matches
    FOR EACH ROW WHEN (OLD.manual) EXECUTE FUNCTION shoprecon_audit_change();
CREATE TRIGGER audit AFTER UPDATE ON recon_exceptions
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
                       OR OLD.hold_until IS DISTINCT FROM NEW.hold_until OR OLD.resolution IS DISTINCT FROM NEW.resolution)
    EXECUTE FUNCTION shoprecon_audit_change();
