import Foundation

/// What to enqueue.
public struct JobRequest: Sendable {
    public var kind: String
    public var queue: String
    /// 0 for system jobs.
    public var tenantID: Int64
    /// JSON text of the arguments.
    public var args: String
    /// Higher runs first.
    public var priority: Int
    public var runAt: Date?
    /// Jobs of one tenant with the same key are enqueued once (while the first is kept); keys of
    /// different tenants never collide.
    public var uniqueKey: String?
    public var maxAttempts: Int

    public init(kind: String, queue: String = "default", tenantID: Int64 = 0, args: String = "{}", priority: Int = 0,
                runAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int = 5) {
        self.kind = kind
        self.queue = queue
        self.tenantID = tenantID
        self.args = args
        self.priority = priority
        self.runAt = runAt
        self.uniqueKey = uniqueKey
        self.maxAttempts = maxAttempts
    }

    /// A request whose arguments are an `Encodable` value.
    public init<Args: Encodable>(kind: String, queue: String = "default", tenantID: Int64 = 0, arguments: Args,
                                 priority: Int = 0, runAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int = 5) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        self.init(kind: kind, queue: queue, tenantID: tenantID, args: String(decoding: try encoder.encode(arguments), as: UTF8.self),
                  priority: priority, runAt: runAt, uniqueKey: uniqueKey, maxAttempts: maxAttempts)
    }
}
