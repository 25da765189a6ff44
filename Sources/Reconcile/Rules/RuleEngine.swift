import Foundation
import Jobs
import PostgresClient
import Tenancy

/// Applies a tenant's custom rules at the end of a reconciliation run, inside the run's
/// transaction, so their exceptions, approvals and notifications commit (or roll back) with it.
///
/// Each rule is one set-based pass: the matching records of the scope go into a temporary table
/// (`recon_rule_hits`), and its action is one statement over that table:
/// - exception: upsert `rule:<name>` exceptions (a re-run keeps status, assignee and history,
///   and updates run_id and amounts); new ones get a `found` event. Stale ones (whose run_id
///   is not the current run) are cleared by the engine afterwards, not here.
/// - approval: a pending approval per record; decided ones are never touched; pending ones of
///   records that no longer match in the scope are withdrawn.
/// - notify: an outbox row per record with a payload free of timestamps, so a re-run adds
///   nothing; when rows were added, one `notify` job for the tenant.
public enum RuleEngine {
    /// Applies every enabled rule of the scope's tenant whose record type belongs to the scope's
    /// flows. Bank-line rules are skipped in store-scoped runs (bank lines belong to no store).
    ///
    /// - Parameters:
    ///   - scope: the run (its id is written to the exceptions it finds).
    ///   - context: the run's access context; row-level security applies to everything here.
    ///   - tx: the run's transaction.
    /// - Returns: counts per rule, and the `notify` job enqueued, if any.
    @discardableResult
    public static func apply(scope: RunScope, context: AccessContext, on tx: isolated PostgresConnection) throws -> RuleApplication {
        guard context.tenantID == scope.tenantID else {
            throw ReconcileError(.invalidInput, "the run's tenant (\(scope.tenantID)) is not the context's tenant")
        }
        let rules = try RuleDirectory.list(context: context, on: tx).filter { rule in
            rule.enabled && scope.flows.contains(rule.flow) && !(rule.recordType == .bankLine && scope.storeID != nil)
        }
        var result = RuleApplication(rules: [], notifyJobID: nil, notifyJobDeferred: false)
        guard !rules.isEmpty else { return result }
        let slug = try tx.query("SELECT slug FROM tenants WHERE tenant_id = $1", [scope.tenantID]).first?.decode(String.self, at: 0)
            ?? context.tenantSlug ?? String(scope.tenantID)
        try tx.query("""
            CREATE TEMP TABLE IF NOT EXISTS recon_rule_hits (
                record_id bigint PRIMARY KEY, store_id bigint, store_code text, channel text, reference text,
                currency text, amount bigint
            ) ON COMMIT DROP
            """)
        var notificationsAdded = 0
        for rule in rules {
            let outcome = try apply(rule, scope: scope, slug: slug, context: context, on: tx)
            if rule.action == .notify { notificationsAdded += outcome.created }
            result.rules.append(outcome)
        }
        if notificationsAdded > 0 {
            // `notify` jobs need recon.run (job_kind_permission), which every run has; a context
            // without it leaves the rows pending for the next notify job instead of failing.
            if context.has("recon.run") {
                let request = JobRequest(kind: NotifyHandler.kindName, tenantID: scope.tenantID, args: "{}",
                                         uniqueKey: "notify:\(scope.tenantID):run:\(scope.runID)",
                                         maxAttempts: NotifyHandler.jobMaxAttempts)
                result.notifyJobID = try JobQueue.enqueue(request, on: tx)?.id
            } else {
                result.notifyJobDeferred = true
            }
        }
        return result
    }

    /// Applies one rule; the hits table exists.
    static func apply(_ rule: Rule, scope: RunScope, slug: String, context: AccessContext,
                      on tx: isolated PostgresConnection) throws -> RuleOutcome {
        var outcome = RuleOutcome(ruleID: rule.id, name: rule.name, recordType: rule.recordType, action: rule.action,
                                  matched: 0, created: 0, withdrawn: 0)
        outcome.matched = try collectHits(rule.conditionTree, recordType: rule.recordType, scope: scope, on: tx)
        let period = scope.period.firstDay
        switch rule.action {
        case .exception:
            let severity = (rule.severity ?? .medium).rawValue
            let counts = try tx.query("""
                WITH up AS (
                    INSERT INTO recon_exceptions AS e (tenant_id, run_id, period, flow, type, severity, record_type, record_id,
                                                       store_id, channel, reference, currency, actual, detail)
                    SELECT $1, $2, $3::date, $4, $5, $6, $7, h.record_id, h.store_id, h.channel, h.reference, h.currency, h.amount,
                           jsonb_build_object('rule', $8::text, 'condition', $9::text)
                    FROM recon_rule_hits h
                    ORDER BY h.record_id
                    ON CONFLICT (tenant_id, type, record_type, record_id) DO UPDATE
                       SET run_id = EXCLUDED.run_id, severity = EXCLUDED.severity, actual = EXCLUDED.actual,
                           currency = EXCLUDED.currency, reference = EXCLUDED.reference, channel = EXCLUDED.channel,
                           store_id = EXCLUDED.store_id, detail = EXCLUDED.detail, updated_at = now()
                    RETURNING e.exception_id, (e.xmax = 0) AS inserted
                ), found AS (
                    INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, to_status, note)
                    SELECT $1, exception_id, $10, 'found', 'open', $11 FROM up WHERE inserted
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM found)
                """, [scope.tenantID, scope.runID, period, rule.flow.rawValue, rule.exceptionType, severity,
                      rule.recordType.rawValue, rule.name, rule.condition, context.actor,
                      "rule \(rule.name): \(rule.condition)"])
            outcome.created = try counts[0].decode(Int.self, at: 0)
        case .approval:
            let counts = try tx.query("""
                WITH added AS (
                    INSERT INTO recon_approvals (tenant_id, rule_id, period, record_type, record_id, store_id, reference, currency, amount)
                    SELECT $1, $2, $3::date, $4, h.record_id, h.store_id, h.reference, h.currency, h.amount FROM recon_rule_hits h
                    ORDER BY h.record_id
                    ON CONFLICT (tenant_id, rule_id, record_type, record_id) DO NOTHING
                    RETURNING 1
                ), withdrawn AS (
                    DELETE FROM recon_approvals a
                    WHERE a.tenant_id = $1 AND a.rule_id = $2 AND a.period = $3::date AND a.status = 'pending'
                      AND ($5::bigint IS NULL OR a.store_id = $5)
                      AND NOT EXISTS (SELECT 1 FROM recon_rule_hits h WHERE h.record_id = a.record_id)
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM withdrawn)
                """, [scope.tenantID, rule.id, period, rule.recordType.rawValue, scope.storeID])
            (outcome.created, outcome.withdrawn) = try counts[0].decode((Int, Int).self)
        case .notify:
            guard let url = rule.webhookURL else {
                throw ReconcileError(.invalidInput, "rule \(rule.name) notifies but has no webhook URL",
                                     hint: "remove it and add it again with --url")
            }
            outcome.created = try queueNotifications(rule, url: url, scope: scope, slug: slug, context: context, on: tx)
        }
        return outcome
    }

    /// Adds an outbox row per hit unless the same notification is queued already; returns how
    /// many were added.
    ///
    /// `ON CONFLICT` needs the outbox's read permission too (PostgreSQL applies the SELECT policy
    /// to the rows of an INSERT with an arbiter): order.view_financial, which runs require. A
    /// context without it inserts without `ON CONFLICT` in a savepoint and, when some rows are
    /// queued already, falls back to one savepoint per row, skipping duplicates.
    static func queueNotifications(_ rule: Rule, url: String, scope: RunScope, slug: String, context: AccessContext,
                                   on tx: isolated PostgresConnection) throws -> Int {
        let insert = """
            INSERT INTO notification_outbox (tenant_id, rule_id, url, payload)
            SELECT $1, $2, $3, jsonb_build_object(
                       'event', 'rule_matched', 'tenant', $4::text, 'rule', $5::text, 'record_type', $6::text,
                       'record_id', h.record_id, 'store', h.store_code, 'reference', h.reference, 'amount', h.amount,
                       'currency', h.currency, 'period', $7::text)
            FROM recon_rule_hits h
            WHERE $8::bigint IS NULL OR h.record_id = $8
            ORDER BY h.record_id
            """
        func binds(_ record: Int64?) -> [any PostgresEncodable] {
            [scope.tenantID, rule.id, url, slug, rule.name, rule.recordType.rawValue, scope.period.description, record]
        }
        if context.has("order.view_financial") {
            return try tx.query(insert + "\nON CONFLICT (tenant_id, rule_id, payload) DO NOTHING", binds(nil)).affectedRows
        }
        /// Inserts the hits (or one of them) in a savepoint; nil when one was queued already (rolled back).
        func tryInsert(_ record: Int64?) throws -> Int? {
            try tx.query("SAVEPOINT recon_rule_notify")
            do {
                let added = try tx.query(insert, binds(record)).affectedRows
                try tx.query("RELEASE SAVEPOINT recon_rule_notify")
                return added
            } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
                try tx.query("ROLLBACK TO SAVEPOINT recon_rule_notify")
                try tx.query("RELEASE SAVEPOINT recon_rule_notify")
                return nil
            }
        }
        if let added = try tryInsert(nil) { return added }
        var added = 0
        for row in try tx.query("SELECT record_id FROM recon_rule_hits ORDER BY record_id") {
            added += try tryInsert(try row.decode(Int64.self, at: 0)) ?? 0
        }
        return added
    }

    /// Fills the hits table with the records of the scope that `condition` matches; returns how many.
    static func collectHits(_ condition: RuleCondition, recordType: RecordType, scope: RunScope,
                            on tx: isolated PostgresConnection) throws -> Int {
        let predicate = try RuleCompiler.compile(condition, for: recordType, firstParameter: RuleSource.parameterCount + 1)
        try tx.query("TRUNCATE recon_rule_hits")
        let inserted = try tx.query("""
            INSERT INTO recon_rule_hits (record_id, store_id, store_code, channel, reference, currency, amount)
            SELECT record_id, store_id, store_code, channel, reference, currency, amount FROM (
            \(RuleSource.sql(for: recordType, fields: predicate.fields))
            ) src WHERE \(predicate.sql)
            """, RuleSource.binds(for: scope) + predicate.binds.map(\.encodable))
        return inserted.affectedRows
    }
}

/// What ``RuleEngine/apply(scope:context:on:)`` did.
public struct RuleApplication: Sendable, Codable, Equatable {
    /// One entry per rule applied, in name order.
    public var rules: [RuleOutcome]
    /// The `notify` job enqueued for the notifications added, if any.
    public var notifyJobID: Int64?
    /// Notifications were added but the run's context may not enqueue `notify` jobs
    /// (recon.run); they wait for the next notify job.
    public var notifyJobDeferred: Bool
}

/// The counts of one rule in one run.
public struct RuleOutcome: Sendable, Codable, Equatable {
    public var ruleID: Int64
    public var name: String
    public var recordType: RecordType
    public var action: RuleAction
    /// Records of the scope the condition matched.
    public var matched: Int
    /// New rows: exceptions first found, approvals requested, notifications queued.
    public var created: Int
    /// Pending approvals withdrawn because their record no longer matches.
    public var withdrawn: Int
}
