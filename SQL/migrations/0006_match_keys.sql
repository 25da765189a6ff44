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
-- only stars, dashes, dots or slashes). One expression, so that it is inlined where it is called.
CREATE FUNCTION recon_buyer_norm(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE WHEN lower(translate(v, E'\uff0a \t\r\n\u00a0\u3000"''`', '*')) ~ '[^*./-]'
                THEN lower(translate(v, E'\uff0a \t\r\n\u00a0\u3000"''`', '*')) END
$fn$;

-- Whether two normalized buyer identifiers can be the same buyer (NULL when one is missing).
-- Platforms mask accounts (`138****1234`, `abc***@163.com`): a masked value is its visible start
-- (before the first `*`) and end (after the last `*`), the stars hiding at least one character
-- of any number. Plain against plain: equal. Masked against plain: the plain one starts with the
-- visible start, ends with the visible end and is longer than both together. Masked against
-- masked: equal, or one visible start begins the other and one visible end ends the other.
-- PL/pgSQL, called for candidate pairs only: its expressions are planned once per session, where
-- a SQL function with a FROM clause would be planned again for every call.
CREATE FUNCTION recon_buyer_same(a text, b text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    a_start text := substring(a FROM '^[^*]*');
    a_end   text := substring(a FROM '[^*]*$');
    b_start text := substring(b FROM '^[^*]*');
    b_end   text := substring(b FROM '[^*]*$');
BEGIN
    IF a IS NULL OR b IS NULL THEN
        RETURN NULL;
    ELSIF a = b THEN
        RETURN true;
    ELSIF strpos(a, '*') = 0 AND strpos(b, '*') = 0 THEN
        RETURN false;
    ELSIF strpos(a, '*') > 0 AND strpos(b, '*') > 0 THEN
        RETURN (starts_with(a_start, b_start) OR starts_with(b_start, a_start))
           AND (right(a_end, length(b_end)) = b_end OR right(b_end, length(a_end)) = a_end);
    ELSIF strpos(a, '*') > 0 THEN
        RETURN length(b) > length(a_start) + length(a_end) AND starts_with(b, a_start) AND right(b, length(a_end)) = a_end;
    ELSE
        RETURN length(a) > length(b_start) + length(b_end) AND starts_with(a, b_start) AND right(a, length(b_end)) = b_end;
    END IF;
END
$fn$;

-- Whether a sale's payer agrees with an order's buyer: true when it is the same as the buyer id
-- or the buyer account, false when both sides carry a buyer and neither is the same, NULL when
-- one side carries none. One expression, inlined where it is called with columns.
CREATE FUNCTION recon_buyer_agrees(payer text, buyer_id text, buyer_account text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN recon_buyer_norm(payer) IS NULL OR (recon_buyer_norm(buyer_id) IS NULL AND recon_buyer_norm(buyer_account) IS NULL)
        THEN NULL
        ELSE coalesce(recon_buyer_same(recon_buyer_norm(payer), recon_buyer_norm(buyer_id)), false)
             OR coalesce(recon_buyer_same(recon_buyer_norm(payer), recon_buyer_norm(buyer_account)), false)
    END
$fn$;

-- A SKU or product code as the sources print it: no blanks, TABs, quotes or Excel `="…"`
-- wrapper, upper case; NULL when empty.
CREATE FUNCTION recon_norm_sku(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT nullif(upper(translate(v, E' \t\r\n\u00a0\u3000"=''`', '')), '')
$fn$;
