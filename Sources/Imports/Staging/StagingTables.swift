/// Temporary tables an import streams its records into (binary COPY), one per record kind.
/// They live for the import's transaction only (`ON COMMIT DROP`); the merge statements then
/// move their rows into the real tables set-based.
enum StagingTables {
    /// One row per order record: its order-level fields and its first line (NULL when it has
    /// none); further lines go to ``orderLines``. The last three columns are not copied: each
    /// record takes an order id from the orders' own sequence as it is staged (the id of the
    /// order if it turns out to be new), and the merge marks the records of orders that exist
    /// already (and moves lines after those of earlier records of the same order).
    /// `maybe_repeat`: an earlier record of the file (not a continuation) may have had the
    /// same order number (equal 64-bit hashes).
    static let orders = """
        CREATE TEMP TABLE stage_orders (
            seq bigint, line integer, order_no text, channel text, status text, status_raw text,
            created_at timestamptz, paid_at timestamptz, shipped_at timestamptz, completed_at timestamptz,
            refund_status text, waybill_no text, courier text, currency text,
            goods_amount bigint, order_amount bigint, paid_amount bigint, discount_amount bigint,
            platform_discount bigint, shipping_amount bigint, merchant_receivable bigint, fee_amount bigint,
            refund_amount bigint, buyer_id text, buyer_account text, buyer_name text, buyer_phone text,
            buyer_address text, is_continuation boolean, maybe_repeat boolean, line_count integer,
            line_sku text, line_product_id text, line_sub_order_no text, line_title text, line_variant text,
            line_quantity integer, line_unit_price bigint, line_amount bigint,
            order_id bigint DEFAULT nextval('orders_order_id_seq'), existing boolean NOT NULL DEFAULT false,
            line_offset integer NOT NULL DEFAULT 0
        ) ON COMMIT DROP
        """

    /// The binary COPY target of ``orders``: every column but the three the merge fills.
    static let ordersCopyTarget = """
        stage_orders (seq, line, order_no, channel, status, status_raw, created_at, paid_at, shipped_at, completed_at,
            refund_status, waybill_no, courier, currency, goods_amount, order_amount, paid_amount, discount_amount,
            platform_discount, shipping_amount, merchant_receivable, fee_amount, refund_amount, buyer_id, buyer_account,
            buyer_name, buyer_phone, buyer_address, is_continuation, maybe_repeat, line_count, line_sku, line_product_id,
            line_sub_order_no, line_title, line_variant, line_quantity, line_unit_price, line_amount)
        """

    /// The second and further lines of order records (`seq` of their record, `line_no` from 2).
    static let orderLines = """
        CREATE TEMP TABLE stage_order_lines (
            seq bigint, line_no integer, line_sku text, line_product_id text, line_sub_order_no text, line_title text,
            line_variant text, line_quantity integer, line_unit_price bigint, line_amount bigint
        ) ON COMMIT DROP
        """

    static let transactions = """
        CREATE TEMP TABLE stage_transactions (
            seq bigint, line integer, provider text, transaction_no text, order_ref text, related_no text,
            type text, type_raw text, currency text, gross bigint, fee bigint, fee_exact text, net bigint,
            fee_rate text, occurred_at timestamptz, counterparty text, memo text, balance bigint,
            payout_ref text, status text
        ) ON COMMIT DROP
        """

    static let payouts = """
        CREATE TEMP TABLE stage_payouts (
            seq bigint, line integer, provider text, payout_ref text, currency text, amount bigint,
            payout_date date, status text, period_start timestamptz, period_end timestamptz
        ) ON COMMIT DROP
        """

    static let bankLines = """
        CREATE TEMP TABLE stage_bank_lines (
            seq bigint, line integer, account text, statement_ref text, booking_date date, value_date date,
            currency text, amount bigint, amount_exact text, direction text, is_reversal boolean,
            counterparty_name text, counterparty_account text, reference text, customer_reference text,
            end_to_end_id text, memo text, balance bigint, transaction_code text
        ) ON COMMIT DROP
        """

    static let courierLines = """
        CREATE TEMP TABLE stage_courier_lines (
            seq bigint, line integer, courier text, waybill_no text, reference text, ship_date date,
            origin text, destination text, zone text, billed_weight_g integer, currency text, fee bigint,
            discount bigint, amount_due bigint, memo text
        ) ON COMMIT DROP
        """

    static let returns = """
        CREATE TEMP TABLE stage_returns (
            seq bigint, line integer, channel text, return_no text, order_no text, waybill_no text, sku text,
            quantity integer, currency text, refund_amount bigint, received_status text, received boolean,
            created_at timestamptz
        ) ON COMMIT DROP
        """

    static let skuCosts = """
        CREATE TEMP TABLE stage_sku_costs (
            seq bigint, line integer, sku text, effective_from date, currency text, unit_cost bigint, title text
        ) ON COMMIT DROP
        """
}
