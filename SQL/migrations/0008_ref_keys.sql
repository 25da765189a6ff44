-- 0008: the normalised order reference of orders and platform transactions, kept on the row.
--
-- Every run of the order check joins a month of orders to their transactions by
-- recon_norm_ref(order number) = recon_norm_ref(order reference). Computed in the run, that is a
-- million regular-expression calls on each side, every run, for values that only change when
-- the row does. As stored generated columns they are computed once, when an import writes the
-- row (and again if an update changes the number), and a run reads them like any column.
-- Byte order ("C"): the keys are compared for equality and sorted to be grouped; the locale's
-- collation would only make both slower.
--
-- recon_norm_ref is IMMUTABLE: a migration that changes what it returns must also rewrite these
-- columns (ALTER TABLE ... ALTER COLUMN ref_key SET EXPRESSION is not in PostgreSQL 15; drop and
-- add the column again).
ALTER TABLE orders
    ADD COLUMN ref_key text COLLATE "C" GENERATED ALWAYS AS (recon_norm_ref(order_no)) STORED;
ALTER TABLE platform_transactions
    ADD COLUMN ref_key text COLLATE "C" GENERATED ALWAYS AS (recon_norm_ref(order_ref)) STORED;

-- The transactions of an order are looked up by this key (allocations of split payments, the
-- returns flow); nothing looks them up by the raw reference, whose index this one replaces.
DROP INDEX platform_transactions_order;
CREATE INDEX platform_transactions_ref ON platform_transactions (tenant_id, ref_key) WHERE ref_key IS NOT NULL;

COMMENT ON COLUMN orders.ref_key IS 'recon_norm_ref(order_no): the key the order check joins transactions on';
COMMENT ON COLUMN platform_transactions.ref_key IS 'recon_norm_ref(order_ref): the key the order check joins orders on';
