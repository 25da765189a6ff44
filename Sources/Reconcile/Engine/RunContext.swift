import PostgresClient

/// Creates `r_scope`, the one-row temporary table every statement of a run reads its bounds and
/// settings from, so that no statement repeats them as parameters: the tenant's tolerances (the
/// column defaults of `recon_settings` when the tenant has no row: the migration is the one
/// place they are written), the period as dates and as instants in the tenant's time zone, the
/// store and the as-of date.
enum RunContext {
    static func create(_ scope: RunScope, on tx: isolated PostgresConnection) throws {
        try tx.useBulkMemory()
        // Each statement of a run is planned once and runs once: compiling it with JIT costs
        // 0.1 to 0.3 s a statement, more than it saves, and a run has dozens of them.
        try tx.query("SET LOCAL jit = off")
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_scope")
        try tx.query("CREATE TEMP TABLE r_scope (LIKE recon_settings INCLUDING DEFAULTS) ON COMMIT DROP")
        let copied = try tx.query("INSERT INTO r_scope SELECT * FROM recon_settings WHERE tenant_id = $1", [scope.tenantID])
        if copied.affectedRows == 0 {
            try tx.query("INSERT INTO r_scope (tenant_id) VALUES ($1)", [scope.tenantID])
        }
        try tx.query("""
            ALTER TABLE r_scope ADD COLUMN run_id bigint, ADD COLUMN period date, ADD COLUMN period_end date,
                ADD COLUMN starts_at timestamptz, ADD COLUMN ends_at timestamptz, ADD COLUMN store_id bigint,
                ADD COLUMN as_of date, ADD COLUMN time_zone text, ADD COLUMN actor text
            """)
        try tx.query("""
            UPDATE r_scope r SET run_id = $1, period = $2::date, period_end = $3::date,
                starts_at = ($2::date)::timestamp AT TIME ZONE t.time_zone,
                ends_at = ($3::date)::timestamp AT TIME ZONE t.time_zone,
                store_id = $4, as_of = $5::date, time_zone = t.time_zone, actor = app_actor()
            FROM tenants t WHERE t.tenant_id = r.tenant_id
            """, [scope.runID, scope.period.firstDay, scope.period.endDay, scope.storeID, scope.asOf])
        // One row: without statistics the planner takes it for hundreds and misjudges every join.
        try tx.query("ANALYZE pg_temp.r_scope")
    }
}
