-- 0008: automatic one-to-one order matches kept as sets.
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
    match_ids      bigint[] NOT NULL,
    anchor_ids     bigint[] NOT NULL,
    counter_ids    bigint[] NOT NULL,
    left_amounts   bigint[] NOT NULL,
    right_amounts  bigint[] NOT NULL,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, set_id),
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
CREATE OR REPLACE VIEW recon_match_records WITH (security_invoker = true) AS
SELECT tenant_id, match_id, side, record_type, record_id, store_id, currency, amount FROM recon_allocations
UNION ALL
SELECT tenant_id, match_id, 'left', anchor_type, anchor_id, store_id, currency, left_amount
FROM recon_matches WHERE counter_id IS NOT NULL
UNION ALL
SELECT tenant_id, match_id, 'right', counter_type, counter_id, store_id, currency, right_amount
FROM recon_matches WHERE counter_id IS NOT NULL
UNION ALL
SELECT s.tenant_id, e.match_id, 'left', s.anchor_type, e.record_id, s.store_id, s.currency, e.amount
FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids, s.anchor_ids, s.left_amounts) AS e (match_id, record_id, amount)
UNION ALL
SELECT s.tenant_id, e.match_id, 'right', s.counter_type, e.record_id, s.store_id, s.currency, e.amount
FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids, s.counter_ids, s.right_amounts) AS e (match_id, record_id, amount);

-- Every match, one row each, whether a row of recon_matches or an element of a set.
CREATE VIEW recon_match_list WITH (security_invoker = true) AS
SELECT match_id, tenant_id, run_id, period, flow, store_id, shape, rule, confidence, manual, reason, created_by, created_at
FROM recon_matches
UNION ALL
SELECT e.match_id, s.tenant_id, s.run_id, s.period, s.flow, s.store_id, s.shape, s.rule, s.confidence, false, NULL, s.created_by,
       s.created_at
FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids) AS e (match_id);

GRANT SELECT ON recon_match_records, recon_match_list TO shoprecon_app;
