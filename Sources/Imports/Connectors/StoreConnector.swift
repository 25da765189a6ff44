import Foundation
import PostgresClient
import Tenancy

/// How a store's records reach ShopRecon without someone typing `shoprecon import`.
public struct StoreConnector: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case inbox, http }

    /// Files dropped into a folder; imported ones move to `done/`, failed ones to `failed/`.
    public struct Inbox: Sendable, Codable, Equatable {
        public var path: String
        public var format: String?
        public var mapping: String?

        public init(path: String, format: String? = nil, mapping: String? = nil) {
            self.path = path
            self.format = format
            self.mapping = mapping
        }
    }

    /// A platform API (or a gateway in front of one) paged by cursor; see README "HTTP connector".
    public struct HTTP: Sendable, Codable, Equatable {
        public var url: String
        /// `orders` or `transactions`.
        public var resource: String
        /// Name of the environment variable of the daemon that holds the bearer token (the
        /// token itself is never stored in the database).
        public var tokenEnv: String?
        public var pageSize: Int
        public var maxRetries: Int

        public init(url: String, resource: String, tokenEnv: String? = nil, pageSize: Int = 500, maxRetries: Int = 6) {
            self.url = url
            self.resource = resource
            self.tokenEnv = tokenEnv
            self.pageSize = pageSize
            self.maxRetries = maxRetries
        }
    }

    public var store: String
    public var kind: Kind
    public var inbox: Inbox?
    public var http: HTTP?
    public var cursor: String?
    public var lastSyncAt: Date?
    public var lastError: String?
}

/// Saving and reading connectors (`settings.manage`).
public enum ConnectorDirectory {
    public static func save(store code: String, inbox: StoreConnector.Inbox? = nil, http: StoreConnector.HTTP? = nil,
                            context: AccessContext, on tx: isolated PostgresConnection) throws -> StoreConnector {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "connect stores")
        let store = try StoreDirectory.find(code: code, context: context, on: tx)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let (kind, config): (StoreConnector.Kind, Data)
        if let inbox {
            guard !inbox.path.isEmpty else { throw ImportError.unreadable("the inbox folder is empty") }
            (kind, config) = (.inbox, try encoder.encode(inbox))
        } else if let http {
            guard let url = URL(string: http.url), url.scheme == "http" || url.scheme == "https" else {
                throw ImportError.unreadable("\(http.url) is not an http(s) URL")
            }
            guard ["orders", "transactions"].contains(http.resource) else {
                throw ImportError.unreadable("the resource is orders or transactions, not \(http.resource)")
            }
            (kind, config) = (.http, try encoder.encode(http))
        } else {
            throw ImportError.unreadable("give an inbox folder or an HTTP URL")
        }
        try tx.query("""
            INSERT INTO store_connectors (tenant_id, store_id, kind, config) VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (tenant_id, store_id, kind) DO UPDATE SET config = EXCLUDED.config, last_error = NULL
            """, [tenant, store.id, kind.rawValue, String(decoding: config, as: UTF8.self)])
        guard let saved = try list(context: context, on: tx).first(where: { $0.store == code && $0.kind == kind }) else {
            throw ImportError.unreadable("the connector was not saved")
        }
        return saved
    }

    public static func list(store: String? = nil, context: AccessContext, on tx: isolated PostgresConnection) throws -> [StoreConnector] {
        let tenant = try context.requireTenant()
        return try tx.query("""
            SELECT s.code, c.kind, c.config::text, c.cursor, c.last_sync_at, c.last_error
            FROM store_connectors c JOIN stores s ON s.tenant_id = c.tenant_id AND s.store_id = c.store_id
            WHERE c.tenant_id = $1 AND ($2::text IS NULL OR s.code = $2) ORDER BY s.code, c.kind
            """, [tenant, store]).map { row in
            let (code, kindText, config, cursor, last, error) = try row.decode((String, String, String, String?, Date?, String?).self)
            let kind = StoreConnector.Kind(rawValue: kindText) ?? .inbox
            let data = Data(config.utf8)
            return StoreConnector(store: code, kind: kind,
                                  inbox: kind == .inbox ? try JSONDecoder().decode(StoreConnector.Inbox.self, from: data) : nil,
                                  http: kind == .http ? try JSONDecoder().decode(StoreConnector.HTTP.self, from: data) : nil,
                                  cursor: cursor, lastSyncAt: last, lastError: error)
        }
    }

    static func record(store code: String, kind: StoreConnector.Kind, cursor: String?, error: String?, context: AccessContext,
                       on tx: isolated PostgresConnection) throws {
        let tenant = try context.requireTenant()
        try tx.query("""
            UPDATE store_connectors c SET cursor = coalesce($4, c.cursor), last_sync_at = now(), last_error = $5
            FROM stores s WHERE s.tenant_id = c.tenant_id AND s.store_id = c.store_id
              AND c.tenant_id = $1 AND s.code = $2 AND c.kind = $3
            """, [tenant, code, kind.rawValue, cursor, error])
    }
}
