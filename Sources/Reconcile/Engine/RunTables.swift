import PostgresClient

/// The temporary tables the stages of a run fill before their rows are written for good:
/// `r_match`/`r_alloc` (the matches of the smaller flows, with ids drawn from `recon_matches`'
/// own sequence so the allocations can refer to them before they exist; the order check, with a
/// match per order, writes its matches straight to the tables, most of them as match sets) and
/// `r_exc` (exceptions found), plus `r_manual`, the records people matched by hand, which no
/// stage touches, and `r_match_count` (see `MatchCount`).
enum RunTables {
    static func create(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_match, pg_temp.r_alloc, pg_temp.r_exc, pg_temp.r_manual, pg_temp.r_match_count")
        try tx.query("CREATE TEMP TABLE r_match_count (flow text NOT NULL, rule text NOT NULL, matches bigint NOT NULL) ON COMMIT DROP")
        try tx.query("""
            CREATE TEMP TABLE r_match (match_id bigint PRIMARY KEY, anchor_type text NOT NULL, anchor_id bigint NOT NULL,
                                       flow text NOT NULL, store_id bigint, shape text NOT NULL,
                                       rule text NOT NULL, confidence numeric(3, 2) NOT NULL) ON COMMIT DROP
            """)
        try tx.query("""
            CREATE TEMP TABLE r_alloc (match_id bigint NOT NULL, side text NOT NULL, record_type text NOT NULL,
                                       record_id bigint NOT NULL, store_id bigint, currency char(3) NOT NULL, amount bigint NOT NULL)
            ON COMMIT DROP
            """)
        try tx.query("""
            CREATE TEMP TABLE r_exc (flow text NOT NULL, type text NOT NULL, severity text NOT NULL, record_type text NOT NULL,
                                     record_id bigint NOT NULL, store_id bigint, channel text, reference text, currency char(3),
                                     expected bigint, actual bigint, difference bigint, detail jsonb NOT NULL DEFAULT '{}')
            ON COMMIT DROP
            """)
        try tx.query("""
            CREATE TEMP TABLE r_manual ON COMMIT DROP AS
            SELECT DISTINCT a.record_type, a.record_id
            FROM r_scope s
            JOIN recon_matches m ON m.tenant_id = s.tenant_id AND m.manual
            JOIN recon_allocations a ON a.tenant_id = m.tenant_id AND a.match_id = m.match_id
            """)
        try tx.query("ALTER TABLE r_manual ADD PRIMARY KEY (record_type, record_id)")
    }

    /// `AND NOT EXISTS (...)`: the transaction under `alias` was not matched by hand; or nothing,
    /// when no transaction of the tenant was. Almost every run has none, and the anti-join the
    /// planner picks even for an empty `r_manual` still costs a probe per row: half a second
    /// over a month's million transactions. The text is fixed (no user data): the alias is the
    /// caller's own literal.
    static func unlessMatchedByHand(transaction alias: String, on tx: isolated PostgresConnection) throws -> String {
        let any = try tx.query("SELECT EXISTS (SELECT 1 FROM r_manual WHERE record_type = 'transaction')")[0].decode(Bool.self, at: 0)
        guard any else { return "" }
        return "AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'transaction' AND m.record_id = \(alias).txn_id)"
    }
}
