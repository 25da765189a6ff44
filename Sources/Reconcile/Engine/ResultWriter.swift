import PostgresClient

/// Writes what the stages of a run found: replaces the scope's automatic matches, upserts the
/// exceptions (keeping the status, assignee and history of those found before) and clears the
/// untouched exceptions of the scope that the run no longer finds.
enum ResultWriter {
    /// Deletes the automatic matches of earlier runs over the same period, flows and store: their
    /// rows with their allocations, and their sets (a few rows however many matches they hold).
    static func deletePreviousMatches(flows: [ReconFlow], on tx: isolated PostgresConnection) throws {
        try tx.query("""
            DELETE FROM recon_match_sets m USING r_scope s
            WHERE m.tenant_id = s.tenant_id AND m.period = s.period AND m.flow = ANY ($1::text[])
              AND (s.store_id IS NULL OR m.store_id = s.store_id)
            """, [flows.map(\.rawValue)])
        try tx.query("""
            DELETE FROM recon_allocations a USING recon_matches m, r_scope s
            WHERE a.tenant_id = s.tenant_id AND m.tenant_id = s.tenant_id AND m.match_id = a.match_id
              AND m.period = s.period AND m.flow = ANY ($1::text[]) AND NOT m.manual AND (s.store_id IS NULL OR m.store_id = s.store_id)
            """, [flows.map(\.rawValue)])
        try tx.query("""
            DELETE FROM recon_matches m USING r_scope s
            WHERE m.tenant_id = s.tenant_id AND m.period = s.period AND m.flow = ANY ($1::text[]) AND NOT m.manual
              AND (s.store_id IS NULL OR m.store_id = s.store_id)
            """, [flows.map(\.rawValue)])
    }

    static func writeMatches(on tx: isolated PostgresConnection) throws -> Int {
        let matches = try tx.query("""
            INSERT INTO recon_matches (match_id, tenant_id, run_id, anchor_type, anchor_id, period, flow, store_id, shape, rule,
                                       confidence, created_by)
            OVERRIDING SYSTEM VALUE
            SELECT m.match_id, s.tenant_id, s.run_id, m.anchor_type, m.anchor_id, s.period, m.flow, m.store_id, m.shape, m.rule,
                   m.confidence, s.actor
            FROM r_match m CROSS JOIN r_scope s
            """).affectedRows
        try tx.query("""
            INSERT INTO recon_allocations (tenant_id, match_id, side, record_type, record_id, store_id, currency, amount)
            SELECT s.tenant_id, a.match_id, a.side, a.record_type, a.record_id, a.store_id, a.currency, a.amount
            FROM r_alloc a CROSS JOIN r_scope s
            """)
        try tx.query("INSERT INTO r_match_count (flow, rule, matches) SELECT flow, rule, count(*) FROM r_match GROUP BY 1, 2")
        return matches
    }

    /// Upserts `r_exc`; returns (found, new).
    static func writeExceptions(on tx: isolated PostgresConnection) throws -> (found: Int, new: Int) {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_exc_written")
        try tx.query("""
            CREATE TEMP TABLE r_exc_written ON COMMIT DROP AS
            WITH written AS (
                INSERT INTO recon_exceptions AS e (tenant_id, run_id, period, flow, type, severity, record_type, record_id, store_id,
                                                   channel, reference, currency, expected, actual, difference, detail)
                SELECT DISTINCT ON (x.type, x.record_type, x.record_id)
                       s.tenant_id, s.run_id, s.period, x.flow, x.type, x.severity, x.record_type, x.record_id, x.store_id,
                       x.channel, x.reference, x.currency, x.expected, x.actual, x.difference, x.detail
                FROM r_exc x CROSS JOIN r_scope s
                ORDER BY x.type, x.record_type, x.record_id
                ON CONFLICT (tenant_id, type, record_type, record_id) DO UPDATE SET
                    run_id = EXCLUDED.run_id, severity = EXCLUDED.severity, store_id = EXCLUDED.store_id,
                    channel = EXCLUDED.channel, reference = EXCLUDED.reference, currency = EXCLUDED.currency,
                    expected = EXCLUDED.expected, actual = EXCLUDED.actual, difference = EXCLUDED.difference,
                    detail = EXCLUDED.detail,
                    updated_at = CASE WHEN (e.expected, e.actual, e.detail) IS DISTINCT FROM (EXCLUDED.expected, EXCLUDED.actual, EXCLUDED.detail)
                                      THEN now() ELSE e.updated_at END
                RETURNING e.exception_id, xmax = 0 AS inserted
            )
            SELECT * FROM written
            """)
        try tx.query("""
            INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, to_status, note)
            SELECT s.tenant_id, w.exception_id, s.actor, 'found', 'open', 'found by run ' || s.run_id
            FROM r_exc_written w CROSS JOIN r_scope s WHERE w.inserted
            """)
        let counts = try tx.query("SELECT count(*)::bigint, count(*) FILTER (WHERE inserted)::bigint FROM r_exc_written")[0]
            .decode((Int64, Int64).self)
        return (Int(counts.0), Int(counts.1))
    }

    /// Exceptions of the scope that this run did not find again: deleted when nobody touched
    /// them yet; resolved with a note (kept with their history) when someone was working on them.
    static func clearStale(flows: [ReconFlow], on tx: isolated PostgresConnection) throws -> Int {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_stale")
        try tx.query("""
            CREATE TEMP TABLE r_stale ON COMMIT DROP AS
            SELECT e.exception_id, e.status,
                   e.status = 'open' AND e.assignee_id IS NULL AND e.hold_until IS NULL
                   AND NOT EXISTS (SELECT 1 FROM recon_exception_events v WHERE v.tenant_id = e.tenant_id
                                   AND v.exception_id = e.exception_id AND v.action <> 'found') AS untouched
            FROM recon_exceptions e CROSS JOIN r_scope s
            WHERE e.tenant_id = s.tenant_id AND e.period = s.period AND e.flow = ANY ($1::text[])
              AND (s.store_id IS NULL OR e.store_id = s.store_id) AND e.run_id IS DISTINCT FROM s.run_id
              AND e.status IN ('open', 'in_review')
            """, [flows.map(\.rawValue)])
        let deleted = try tx.query("""
            DELETE FROM recon_exceptions e USING r_stale x, r_scope s
            WHERE e.tenant_id = s.tenant_id AND e.exception_id = x.exception_id AND x.untouched
            """).affectedRows
        try tx.query("""
            UPDATE recon_exceptions e SET status = 'resolved', resolution = 'no longer found by run ' || s.run_id, updated_at = now()
            FROM r_stale x, r_scope s
            WHERE e.tenant_id = s.tenant_id AND e.exception_id = x.exception_id AND NOT x.untouched
            """)
        let resolved = try tx.query("""
            INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, from_status, to_status, note)
            SELECT s.tenant_id, x.exception_id, app_actor(), 'cleared', x.status, 'resolved', 'no longer found by run ' || s.run_id
            FROM r_stale x CROSS JOIN r_scope s WHERE NOT x.untouched
            """).affectedRows
        return deleted + resolved
    }
}
