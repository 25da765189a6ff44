import PostgresClient

/// Matches written by this run, per flow and rule, kept in `r_match_count` as the stages write
/// them, so that the run's result does not have to count a million match rows again.
enum MatchCount {
    static func add(flow: String, rule: String, count: Int, on tx: isolated PostgresConnection) throws {
        guard count > 0 else { return }
        try tx.query("INSERT INTO r_match_count (flow, rule, matches) VALUES ($1, $2, $3)", [flow, rule, Int64(count)])
    }

    /// "flow rule" -> matches.
    static func all(on tx: isolated PostgresConnection) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try tx.query("SELECT flow || ' ' || rule, sum(matches)::bigint FROM r_match_count GROUP BY 1 HAVING sum(matches) > 0") {
            let (key, count) = try row.decode((String, Int64).self)
            counts[key] = Int(count)
        }
        return counts
    }
}
