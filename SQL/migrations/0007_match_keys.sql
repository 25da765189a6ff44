-- 0007: more keys for matching, per tenant: the buyer for sales matched without a reference,
-- and the SKU and quantity of returned goods against the refund.
--
-- loose_match_buyer: a sale without a usable order reference and a paid order that fit by
-- amount and date must also agree on the buyer (the sale's payer, platform_transactions.
-- counterparty, against the order's buyer id or buyer account) when both carry one; among several
-- candidates the only one whose buyer agrees wins. Off by default: it needs order exports that
-- carry the identifier the payment statement prints (see README.md, "What the reconciliation
-- finds").
-- refund_goods_check: an order refunded after shipping with received returns is also checked
-- against what came back: the refund must not exceed the returned goods (by SKU and quantity,
-- valued at the order's line amounts) plus the order's shipping. Off by default: it needs the
-- returns file and the order lines to use the same SKU codes.
ALTER TABLE recon_settings
    ADD COLUMN loose_match_buyer  boolean NOT NULL DEFAULT false,
    ADD COLUMN refund_goods_check boolean NOT NULL DEFAULT false;

-- A buyer identifier as the sources print it, reduced to what identifies it: no blanks, TABs or
-- quotes, lower case, a full-width asterisk as `*`. NULL when nothing identifying is left (empty,
-- only stars, dashes, dots or slashes).
CREATE FUNCTION recon_buyer_norm(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE WHEN n ~ '[^*./-]' THEN n END
    FROM (SELECT lower(translate(v, E'\uff0a \t\r\n\u00a0\u3000"''`', '*')) AS n) x
$fn$;

-- Whether two normalized buyer identifiers can be the same buyer (NULL when one is missing).
-- Platforms mask accounts (`138****1234`, `abc***@163.com`): a masked value is its visible start
-- (before the first `*`) and end (after the last `*`), the stars hiding at least one character
-- of any number. Plain against plain: equal. Masked against plain: the plain one starts with the
-- visible start, ends with the visible end and is longer than both together. Masked against
-- masked: equal, or one visible start begins the other and one visible end ends the other.
CREATE FUNCTION recon_buyer_same(a text, b text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN a = b THEN true
        WHEN NOT x.am AND NOT x.bm THEN false
        WHEN x.am AND x.bm THEN (starts_with(x.a_start, x.b_start) OR starts_with(x.b_start, x.a_start))
                                AND (right(x.a_end, length(x.b_end)) = x.b_end OR right(x.b_end, length(x.a_end)) = x.a_end)
        WHEN x.am THEN length(b) > length(x.a_start) + length(x.a_end)
                       AND starts_with(b, x.a_start) AND right(b, length(x.a_end)) = x.a_end
        ELSE length(a) > length(x.b_start) + length(x.b_end)
             AND starts_with(a, x.b_start) AND right(a, length(x.b_end)) = x.b_end
    END
    FROM (SELECT strpos(a, '*') > 0 AS am, strpos(b, '*') > 0 AS bm,
                 substring(a FROM '^[^*]*') AS a_start, substring(a FROM '[^*]*$') AS a_end,
                 substring(b FROM '^[^*]*') AS b_start, substring(b FROM '[^*]*$') AS b_end) x
$fn$;

-- Whether a sale's payer agrees with an order's buyer: true when it is the same as the buyer id
-- or the buyer account, false when both sides carry a buyer and neither is the same, NULL when
-- one side carries none.
CREATE FUNCTION recon_buyer_agrees(payer text, buyer_id text, buyer_account text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN x.p IS NULL OR (x.i IS NULL AND x.acc IS NULL) THEN NULL
        ELSE coalesce(recon_buyer_same(x.p, x.i), false) OR coalesce(recon_buyer_same(x.p, x.acc), false)
    END
    FROM (SELECT recon_buyer_norm(payer) AS p, recon_buyer_norm(buyer_id) AS i, recon_buyer_norm(buyer_account) AS acc) x
$fn$;

-- A SKU or product code as the sources print it: no blanks, TABs, quotes or Excel `="…"`
-- wrapper, upper case; NULL when empty.
CREATE FUNCTION recon_norm_sku(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT nullif(upper(translate(v, E' \t\r\n\u00a0\u3000"=''`', '')), '')
$fn$;
