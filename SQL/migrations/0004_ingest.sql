-- 0004: normalized records loaded from channel files and APIs, and the imports that loaded them.
--
-- Who may see what is decided by which table a column lives in, because row-level security
-- filters rows, not columns: basic order facts (numbers, dates, status, SKUs, quantities) are
-- in `orders` and `order_lines` (order.view_basic); amounts are in `order_financials` and
-- `order_line_amounts` and in every settlement, bank and courier table (order.view_financial);
-- buyer contact data is in `order_contacts` (order.view_contact). Loading needs import.run.
-- Money is integer minor units (fen, cents) with the currency; the few sources with more
-- decimals than the currency (WeChat fees) also keep the exact value in a *_exact numeric.
--
-- Every record has a `source_key`, unique per tenant and scope, built by the loader from the
-- source's own identity (order number, transaction id, statement entry): loading the same file
-- twice, or two files that overlap, updates rows instead of duplicating them.

CREATE TABLE imports (
    tenant_id      bigint NOT NULL REFERENCES tenants,
    import_id      bigint GENERATED ALWAYS AS IDENTITY,
    store_id       bigint,
    file_name      text NOT NULL,
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format         text NOT NULL,
    rows_read      integer NOT NULL DEFAULT 0,
    rows_inserted  integer NOT NULL DEFAULT 0,
    rows_updated   integer NOT NULL DEFAULT 0,
    rows_unchanged integer NOT NULL DEFAULT 0,
    rows_rejected  integer NOT NULL DEFAULT 0,
    records        jsonb NOT NULL DEFAULT '{}',
    actor          text NOT NULL,
    user_id        bigint,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    PRIMARY KEY (tenant_id, import_id),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);
CREATE INDEX imports_sha ON imports (tenant_id, sha256);

-- Rows a `--skip-bad-rows` import left out, with the reason.
CREATE TABLE import_rejects (
    tenant_id   bigint NOT NULL,
    import_id   bigint NOT NULL,
    reject_no   integer NOT NULL,
    line        integer NOT NULL,
    column_name text,
    value       text,
    reason      text NOT NULL,
    PRIMARY KEY (tenant_id, import_id, reject_no),
    FOREIGN KEY (tenant_id, import_id) REFERENCES imports ON DELETE CASCADE
);

CREATE TABLE orders (
    tenant_id      bigint NOT NULL,
    order_id       bigint GENERATED ALWAYS AS IDENTITY,
    store_id       bigint NOT NULL,
    channel        text NOT NULL,
    order_no       text NOT NULL,
    status         text NOT NULL,
    status_raw     text NOT NULL DEFAULT '',
    created_at     timestamptz,
    paid_at        timestamptz,
    shipped_at     timestamptz,
    completed_at   timestamptz,
    refund_status  text,
    waybill_no     text,
    courier        text,
    currency       char(3) NOT NULL,
    import_id      bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, order_id),
    UNIQUE (tenant_id, store_id, order_no),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);
CREATE INDEX orders_created ON orders (tenant_id, created_at);
CREATE INDEX orders_waybill ON orders (tenant_id, waybill_no) WHERE waybill_no IS NOT NULL;

CREATE TABLE order_financials (
    tenant_id           bigint NOT NULL,
    order_id            bigint NOT NULL,
    store_id            bigint NOT NULL,
    currency            char(3) NOT NULL,
    goods_amount        bigint,
    order_amount        bigint,
    paid_amount         bigint,
    discount_amount     bigint,
    platform_discount   bigint,
    shipping_amount     bigint,
    merchant_receivable bigint,
    fee_amount          bigint,
    refund_amount       bigint,
    PRIMARY KEY (tenant_id, order_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders ON DELETE CASCADE
);

CREATE TABLE order_contacts (
    tenant_id     bigint NOT NULL,
    order_id      bigint NOT NULL,
    store_id      bigint NOT NULL,
    buyer_id      text,
    buyer_account text,
    buyer_name    text,
    buyer_phone   text,
    buyer_address text,
    PRIMARY KEY (tenant_id, order_id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders ON DELETE CASCADE
);

CREATE TABLE order_lines (
    tenant_id    bigint NOT NULL,
    order_id     bigint NOT NULL,
    line_no      integer NOT NULL,
    store_id     bigint NOT NULL,
    sku          text,
    product_id   text,
    sub_order_no text,
    title        text,
    variant      text,
    quantity     integer,
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders ON DELETE CASCADE
);

CREATE TABLE order_line_amounts (
    tenant_id   bigint NOT NULL,
    order_id    bigint NOT NULL,
    line_no     integer NOT NULL,
    store_id    bigint NOT NULL,
    currency    char(3) NOT NULL,
    unit_price  bigint,
    line_amount bigint,
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id, line_no) REFERENCES order_lines ON DELETE CASCADE
);

-- Settlement lines of payment providers and platforms: sales, refunds, fees, commissions,
-- payouts (withdrawals to the bank) and adjustments. Amounts are signed from the merchant's
-- side: money in is positive.
CREATE TABLE platform_transactions (
    tenant_id      bigint NOT NULL,
    txn_id         bigint GENERATED ALWAYS AS IDENTITY,
    store_id       bigint NOT NULL,
    provider       text NOT NULL,
    source_key     text NOT NULL,
    transaction_no text NOT NULL,
    order_ref      text,
    related_no     text,
    type           text NOT NULL CHECK (type IN ('sale', 'refund', 'fee', 'commission', 'payout', 'adjustment')),
    type_raw       text NOT NULL DEFAULT '',
    currency       char(3) NOT NULL,
    gross          bigint NOT NULL,
    fee            bigint,
    fee_exact      numeric,
    net            bigint NOT NULL,
    fee_rate       numeric,
    occurred_at    timestamptz,
    counterparty   text,
    memo           text,
    balance        bigint,
    payout_ref     text,
    status         text,
    import_id      bigint NOT NULL,
    PRIMARY KEY (tenant_id, txn_id),
    UNIQUE (tenant_id, store_id, source_key),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);
CREATE INDEX platform_transactions_order ON platform_transactions (tenant_id, order_ref) WHERE order_ref IS NOT NULL;
CREATE INDEX platform_transactions_time ON platform_transactions (tenant_id, occurred_at);

CREATE TABLE payouts (
    tenant_id     bigint NOT NULL,
    payout_id     bigint GENERATED ALWAYS AS IDENTITY,
    store_id      bigint NOT NULL,
    provider      text NOT NULL,
    source_key    text NOT NULL,
    payout_ref    text NOT NULL,
    currency      char(3) NOT NULL,
    amount        bigint NOT NULL,
    payout_date   date,
    status        text,
    period_start  timestamptz,
    period_end    timestamptz,
    import_id     bigint NOT NULL,
    PRIMARY KEY (tenant_id, payout_id),
    UNIQUE (tenant_id, store_id, source_key),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);

CREATE TABLE bank_accounts (
    tenant_id       bigint NOT NULL REFERENCES tenants,
    bank_account_id bigint GENERATED ALWAYS AS IDENTITY,
    account_no      text NOT NULL,
    name            text NOT NULL DEFAULT '',
    currency        char(3),
    PRIMARY KEY (tenant_id, bank_account_id),
    UNIQUE (tenant_id, account_no)
);

-- Amounts are signed: credits (money in) positive, debits negative.
CREATE TABLE bank_statement_lines (
    tenant_id            bigint NOT NULL,
    line_id              bigint GENERATED ALWAYS AS IDENTITY,
    bank_account_id      bigint NOT NULL,
    source_key           text NOT NULL,
    statement_ref        text,
    booking_date         date,
    value_date           date,
    currency             char(3) NOT NULL,
    amount               bigint NOT NULL,
    amount_exact         numeric,
    direction            text NOT NULL CHECK (direction IN ('credit', 'debit')),
    is_reversal          boolean NOT NULL DEFAULT false,
    counterparty_name    text,
    counterparty_account text,
    reference            text,
    customer_reference   text,
    end_to_end_id        text,
    memo                 text,
    balance              bigint,
    transaction_code     text,
    import_id            bigint NOT NULL,
    PRIMARY KEY (tenant_id, line_id),
    UNIQUE (tenant_id, bank_account_id, source_key),
    FOREIGN KEY (tenant_id, bank_account_id) REFERENCES bank_accounts
);
CREATE INDEX bank_statement_lines_date ON bank_statement_lines (tenant_id, value_date);

CREATE TABLE courier_bill_lines (
    tenant_id       bigint NOT NULL,
    line_id         bigint GENERATED ALWAYS AS IDENTITY,
    store_id        bigint NOT NULL,
    source_key      text NOT NULL,
    courier         text,
    waybill_no      text NOT NULL,
    reference       text,
    ship_date       date,
    origin          text,
    destination     text,
    zone            text,
    billed_weight_g integer,
    currency        char(3) NOT NULL,
    fee             bigint,
    discount        bigint,
    amount_due      bigint NOT NULL,
    memo            text,
    import_id       bigint NOT NULL,
    PRIMARY KEY (tenant_id, line_id),
    UNIQUE (tenant_id, store_id, source_key),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);
CREATE INDEX courier_bill_lines_waybill ON courier_bill_lines (tenant_id, waybill_no);

CREATE TABLE returns (
    tenant_id       bigint NOT NULL,
    return_id       bigint GENERATED ALWAYS AS IDENTITY,
    store_id        bigint NOT NULL,
    source_key      text NOT NULL,
    channel         text NOT NULL,
    return_no       text,
    order_no        text NOT NULL,
    waybill_no      text,
    sku             text,
    quantity        integer,
    currency        char(3) NOT NULL,
    refund_amount   bigint,
    received_status text,
    received        boolean,
    created_at      timestamptz,
    import_id       bigint NOT NULL,
    PRIMARY KEY (tenant_id, return_id),
    UNIQUE (tenant_id, store_id, source_key),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores
);
CREATE INDEX returns_order ON returns (tenant_id, order_no);

CREATE TABLE sku_costs (
    tenant_id      bigint NOT NULL REFERENCES tenants,
    sku            text NOT NULL,
    effective_from date NOT NULL DEFAULT '2000-01-01',
    currency       char(3) NOT NULL,
    unit_cost      bigint NOT NULL,
    title          text,
    import_id      bigint,
    PRIMARY KEY (tenant_id, sku, effective_from)
);

-- Column mappings for the generic CSV/XLSX importer, saved per tenant.
CREATE TABLE column_mappings (
    tenant_id   bigint NOT NULL REFERENCES tenants,
    mapping_id  bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mapping_id),
    UNIQUE (tenant_id, name)
);

-- How a store's files or API are fetched by `channel_sync` jobs, and where a sync got to.
CREATE TABLE store_connectors (
    tenant_id    bigint NOT NULL,
    store_id     bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('inbox', 'http')),
    config       jsonb NOT NULL DEFAULT '{}',
    cursor       text,
    last_sync_at timestamptz,
    last_error   text,
    PRIMARY KEY (tenant_id, store_id, kind),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores ON DELETE CASCADE
);

SELECT shoprecon_protect_tenant_table('imports', NULL, 'import.run', 'store_id');
-- Imports without a store (bank statements) are visible to everyone who may see amounts.
DROP POLICY tenant_select ON imports;
CREATE POLICY tenant_select ON imports FOR SELECT TO shoprecon_app USING (
    tenant_id = (SELECT app_tenant_id())
    AND CASE WHEN store_id IS NULL THEN (SELECT app_has_permission('order.view_financial'))
             ELSE (SELECT app_all_stores()) OR (SELECT app_store_ids()) @> ARRAY[store_id] END);
SELECT shoprecon_protect_tenant_table('import_rejects', 'import.run', 'import.run');
SELECT shoprecon_protect_tenant_table('orders', 'order.view_basic', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('order_lines', 'order.view_basic', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('order_financials', 'order.view_financial', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('order_line_amounts', 'order.view_financial', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('order_contacts', 'order.view_contact', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('platform_transactions', 'order.view_financial', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('payouts', 'order.view_financial', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('bank_accounts', 'order.view_financial', 'import.run');
SELECT shoprecon_protect_tenant_table('bank_statement_lines', 'order.view_financial', 'import.run');
SELECT shoprecon_protect_tenant_table('courier_bill_lines', 'order.view_financial', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('returns', 'order.view_financial', 'import.run', 'store_id');
SELECT shoprecon_protect_tenant_table('sku_costs', 'order.view_financial', 'import.run');
SELECT shoprecon_protect_tenant_table('column_mappings', NULL, 'settings.manage');
SELECT shoprecon_protect_tenant_table('store_connectors', 'settings.manage', 'settings.manage', 'store_id');

GRANT SELECT, INSERT, UPDATE ON imports, import_rejects, orders, order_lines, order_financials, order_line_amounts,
    order_contacts, platform_transactions, payouts, bank_accounts, bank_statement_lines, courier_bill_lines, returns,
    sku_costs TO shoprecon_app;
GRANT DELETE ON order_lines, order_line_amounts TO shoprecon_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON column_mappings, store_connectors TO shoprecon_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO shoprecon_app;

-- Configuration changes are audited like the tenancy tables; imports audit themselves through
-- their `imports` row (who, when, which file, what changed).
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON column_mappings
    FOR EACH ROW EXECUTE FUNCTION shoprecon_audit_change();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON store_connectors
    FOR EACH ROW EXECUTE FUNCTION shoprecon_audit_change();
CREATE TRIGGER audit AFTER INSERT ON imports
    FOR EACH ROW EXECUTE FUNCTION shoprecon_audit_change();
