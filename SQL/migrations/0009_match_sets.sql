-- 0009: automatic one-to-one order matches kept as sets.
--
-- A large merchant's month has a million orders that each match one sale by their number. As
-- rows of recon_matches they cost a run seconds to write (an identity, the primary key and the
-- scope index, the row-level security check and the row triggers of a million rows) and a re-run
-- seconds to delete. A run now writes them as a few rows of recon_match_sets instead: one per
-- store and currency (and per slice of match ids, so that no row grows without bound), holding
-- one match per array position. Element i of match_ids, anchor_ids, counter_ids, left_amounts
-- and right_amounts is one match. Each element still has its own match id, drawn from the
-- sequence of recon_matches.match_id, so one id is one match whichever table keeps it;
-- recon_match_records and recon_match_list show both kinds. Sets are never manual: they belong
-- to the run that wrote them and are replaced by the next run of the same scope.
CREATE TABLE recon_match_sets (
    tenant_id      bigint NOT NULL,
    set_id         bigint GENERATED ALWAYS AS IDENTITY,
    run_id         bigint NOT NULL,
    period         date NOT NULL,
    flow           text NOT NULL CHECK (flow IN ('orders', 'collections', 'returns')),
    store_id       bigint,
    shape          text NOT NULL DEFAULT 'one_to_one' CHECK (shape = 'one_to_one'),
    rule           text NOT NULL,
    confidence     numeric(3, 2) NOT NULL DEFAULT 1 CHECK (confidence > 0 AND confidence <= 1),
    anchor_type    text NOT NULL,                -- the left record of every match: orders, ...
    counter_type   text NOT NULL,                -- the right record of every match: transactions, ...
    currency       char(3) NOT NULL,
    -- The lowest and highest id in match_ids: a match is looked up by id without reading the
    -- arrays of every set (see recon_match_records_of).
    first_match_id bigint NOT NULL,
    last_match_id  bigint NOT NULL,
    match_ids      bigint[] NOT NULL,
    anchor_ids     bigint[] NOT NULL,
    counter_ids    bigint[] NOT NULL,
    left_amounts   bigint[] NOT NULL,
    right_amounts  bigint[] NOT NULL,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, set_id),
    CHECK (first_match_id <= last_match_id),
    CHECK (cardinality(match_ids) > 0 AND cardinality(anchor_ids) = cardinality(match_ids)
           AND cardinality(counter_ids) = cardinality(match_ids) AND cardinality(left_amounts) = cardinality(match_ids)
           AND cardinality(right_amounts) = cardinality(match_ids))
);
CREATE INDEX recon_match_sets_scope ON recon_match_sets (tenant_id, period, flow);
-- The arrays are stored out of line without compression: megabytes of integers that pglz
-- compresses slowly, written once a run and read whole.
ALTER TABLE recon_match_sets ALTER match_ids SET STORAGE EXTERNAL, ALTER anchor_ids SET STORAGE EXTERNAL,
    ALTER counter_ids SET STORAGE EXTERNAL, ALTER left_amounts SET STORAGE EXTERNAL, ALTER right_amounts SET STORAGE EXTERNAL;

-- Read like recon_matches (amounts: order.view_financial; store-scoped users see their stores'
-- sets), written by runs (recon.run). No closed-period trigger, as for recon_matches: runs
-- refuse a closed period before they start.
SELECT shoprecon_protect_tenant_table('recon_match_sets', 'order.view_financial', 'recon.run', 'store_id');
GRANT SELECT, INSERT, DELETE ON recon_match_sets TO shoprecon_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO shoprecon_app;

-- Every record of every match: allocations, one-to-one match rows, and the elements of sets.
-- The sets are unnested in the select list, where the arrays advance in step without being
-- copied into a table first (three times faster than unnest in FROM); conditions on the set's
-- columns (tenant, store, period) still apply before the arrays are read.
CREATE OR REPLACE VIEW recon_match_records WITH (security_invoker = true) AS
SELECT tenant_id, match_id, side, record_type, record_id, store_id, currency, amount FROM recon_allocations
UNION ALL
SELECT tenant_id, match_id, 'left', anchor_type, anchor_id, store_id, currency, left_amount
FROM recon_matches WHERE counter_id IS NOT NULL
UNION ALL
SELECT tenant_id, match_id, 'right', counter_type, counter_id, store_id, currency, right_amount
FROM recon_matches WHERE counter_id IS NOT NULL
UNION ALL
SELECT tenant_id, unnest(match_ids), 'left', anchor_type, unnest(anchor_ids), store_id, currency, unnest(left_amounts)
FROM recon_match_sets
UNION ALL
SELECT tenant_id, unnest(match_ids), 'right', counter_type, unnest(counter_ids), store_id, currency, unnest(right_amounts)
FROM recon_match_sets;

-- Every match, one row each, whether a row of recon_matches or an element of a set.
CREATE VIEW recon_match_list WITH (security_invoker = true) AS
SELECT match_id, tenant_id, run_id, period, flow, store_id, shape, rule, confidence, manual, reason, created_by, created_at
FROM recon_matches
UNION ALL
SELECT unnest(match_ids), tenant_id, run_id, period, flow, store_id, shape, rule, confidence, false, NULL, created_by, created_at
FROM recon_match_sets;

-- The records of some matches, as recon_match_records has them. A condition on match_id cannot
-- reach into the view's arrays, so the view reads every set of the tenant (a million elements a
-- month for a large merchant) to find a few; this reads only the sets whose id range holds one
-- of the ids. Runs with the caller's rights: row-level security applies as through the view.
CREATE FUNCTION recon_match_records_of(p_tenant_id bigint, p_match_ids bigint[])
RETURNS TABLE (tenant_id bigint, match_id bigint, side text, record_type text, record_id bigint, store_id bigint,
               currency char(3), amount bigint)
LANGUAGE sql STABLE AS $fn$
    SELECT a.tenant_id, a.match_id, a.side, a.record_type, a.record_id, a.store_id, a.currency, a.amount
    FROM recon_allocations a WHERE a.tenant_id = p_tenant_id AND a.match_id = ANY (p_match_ids)
    UNION ALL
    SELECT m.tenant_id, m.match_id, x.side, CASE x.side WHEN 'left' THEN m.anchor_type ELSE m.counter_type END,
           CASE x.side WHEN 'left' THEN m.anchor_id ELSE m.counter_id END, m.store_id, m.currency,
           CASE x.side WHEN 'left' THEN m.left_amount ELSE m.right_amount END
    FROM recon_matches m CROSS JOIN (VALUES ('left'), ('right')) AS x (side)
    WHERE m.tenant_id = p_tenant_id AND m.match_id = ANY (p_match_ids) AND m.counter_id IS NOT NULL
    UNION ALL
    SELECT e.tenant_id, e.match_id, x.side, CASE x.side WHEN 'left' THEN e.anchor_type ELSE e.counter_type END,
           CASE x.side WHEN 'left' THEN e.anchor_id ELSE e.counter_id END, e.store_id, e.currency,
           CASE x.side WHEN 'left' THEN e.left_amount ELSE e.right_amount END
    FROM (
        SELECT s.tenant_id, unnest(s.match_ids) AS match_id, s.anchor_type, unnest(s.anchor_ids) AS anchor_id, s.counter_type,
               unnest(s.counter_ids) AS counter_id, s.store_id, s.currency, unnest(s.left_amounts) AS left_amount,
               unnest(s.right_amounts) AS right_amount
        FROM recon_match_sets s
        WHERE s.tenant_id = p_tenant_id
          AND EXISTS (SELECT FROM unnest(p_match_ids) AS i (id) WHERE i.id BETWEEN s.first_match_id AND s.last_match_id)
    ) e CROSS JOIN (VALUES ('left'), ('right')) AS x (side)
    WHERE e.match_id = ANY (p_match_ids)
$fn$;

GRANT SELECT ON recon_match_records, recon_match_list TO shoprecon_app;
