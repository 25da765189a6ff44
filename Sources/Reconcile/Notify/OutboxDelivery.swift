import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import PostgresClient
import Tenancy

/// Delivers a tenant's pending webhook notifications from `notification_outbox`.
///
/// Rows are read in a short transaction; each attempt is claimed in another (the count goes up
/// only if it is still the one read, so two passes that read the same rows do not both post
/// them), posted with no transaction open (a slow receiver must not hold locks or a snapshot),
/// then marked in a third: delivered on a 2xx answer; otherwise the last error is kept and the
/// row stays pending, or becomes `failed` once it has used ``maxAttempts``. ``NotifyHandler``
/// runs one pass per tenant at a time. Delivery is at least once (a crash between the post and
/// the mark sends the row again), so receivers should dedupe on the `X-ShopRecon-Delivery`
/// header (tenant and outbox id).
public struct OutboxDelivery: Sendable {
    /// Attempts per row before it is marked failed.
    public var maxAttempts: Int
    /// Seconds one POST may take.
    public var timeout: TimeInterval
    /// Rows read per transaction.
    public var batchSize: Int

    public init(maxAttempts: Int = 5, timeout: TimeInterval = 10, batchSize: Int = 100) {
        self.maxAttempts = max(1, maxAttempts)
        self.timeout = timeout
        self.batchSize = max(1, batchSize)
    }

    /// What one pass did.
    public struct Report: Sendable, Equatable, Codable {
        public var delivered = 0
        /// Failed this time, still pending (to retry).
        public var retrying = 0
        /// Failed for the last time: marked failed.
        public var failed = 0
        public var errors: [String] = []

        public init() {}
    }

    struct Pending: Sendable {
        var id: Int64
        var url: String
        var payload: String
        var attempts: Int
    }

    /// One pass over the tenant's pending rows (each tried once), under the tenant's system
    /// context. Each row is tried at most once per pass, so a failing receiver cannot spin.
    public func deliverPending(tenantID: Int64, pool: ConnectionPool, logger: Logger) async throws -> Report {
        let context = AccessContext.system(tenantID: tenantID, name: NotifyHandler.kindName)
        let session = URLSession(configuration: Self.configuration(timeout: timeout))
        defer { session.finishTasksAndInvalidate() }
        var report = Report()
        var after: Int64 = 0
        let batchSize = self.batchSize
        while true {
            let cursor = after
            let batch = try await pool.withConnection { connection in
                try await TenantScope(connection: connection).with(context) { tx, _ in
                    try tx.query("""
                        SELECT outbox_id, url, payload::text, attempts FROM notification_outbox
                        WHERE tenant_id = $1 AND status = 'pending' AND outbox_id > $2
                        ORDER BY outbox_id LIMIT $3
                        """, [tenantID, cursor, batchSize]).map { row in
                        let (id, url, payload, attempts) = try row.decode((Int64, String, String, Int).self)
                        return Pending(id: id, url: url, payload: payload, attempts: attempts)
                    }
                }
            }
            guard !batch.isEmpty else { return report }
            for row in batch {
                after = row.id
                let maxAttempts = self.maxAttempts
                // Claim the attempt first, on the attempt count read: a pass that read the same
                // row at the same time skips it instead of posting it again.
                let claimed = try await pool.withConnection { connection in
                    try await TenantScope(connection: connection).with(context) { tx, _ in
                        try tx.query("""
                            UPDATE notification_outbox SET attempts = attempts + 1
                            WHERE tenant_id = $1 AND outbox_id = $2 AND status = 'pending' AND attempts = $3
                            """, [tenantID, row.id, row.attempts]).affectedRows == 1
                    }
                }
                guard claimed else { continue }
                let error = await post(row, tenantID: tenantID, session: session)
                let status = try await pool.withConnection { connection in
                    try await TenantScope(connection: connection).with(context) { tx, _ in
                        try tx.query("""
                            UPDATE notification_outbox
                               SET status = CASE WHEN $3::text IS NULL THEN 'delivered'
                                                 WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END,
                                   last_error = coalesce($3::text, last_error),
                                   delivered_at = CASE WHEN $3::text IS NULL THEN now() END
                             WHERE tenant_id = $1 AND outbox_id = $2 AND status = 'pending'
                            RETURNING status
                            """, [tenantID, row.id, error, maxAttempts]).first?.decode(String.self, at: 0)
                    }
                }
                switch status {
                case "delivered"?: report.delivered += 1
                case "failed"?:
                    report.failed += 1
                    report.errors.append("notification \(row.id): \(error ?? "") (gave up after \(maxAttempts) attempts)")
                    logger.warning("notification failed for good", metadata: ["outbox_id": "\(row.id)", "error": "\(error ?? "")"])
                case "pending"?:
                    report.retrying += 1
                    report.errors.append("notification \(row.id): \(error ?? "")")
                default:
                    break  // someone else delivered it meanwhile
                }
            }
        }
    }

    /// Posts one row; nil when the receiver took it (2xx), else why not.
    func post(_ row: Pending, tenantID: Int64, session: URLSession) async -> String? {
        guard let url = URL(string: row.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "the webhook URL \(row.url) is not an http(s) URL"
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("shoprecon-notify", forHTTPHeaderField: "User-Agent")
        request.setValue("\(tenantID)-\(row.id)", forHTTPHeaderField: "X-ShopRecon-Delivery")
        request.httpBody = Data(row.payload.utf8)
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if (200..<300).contains(status) { return nil }
            let body = String(decoding: data.prefix(200), as: UTF8.self)
            return "HTTP \(status)" + (body.isEmpty ? "" : ": " + body)
        } catch {
            return "\(url.host ?? row.url): \(error.localizedDescription)"
        }
    }

    static func configuration(timeout: TimeInterval) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        return configuration
    }
}
