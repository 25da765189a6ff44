import Foundation

/// A merchant using ShopRecon.
public struct Tenant: Sendable, Codable, Equatable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var timeZone: String
    public var currency: String
    public var status: String
    public var createdAt: Date
}

/// One shop of a tenant on one channel.
public struct Store: Sendable, Codable, Equatable {
    public static let channels = ["taobao", "tmall", "jd", "pinduoduo", "douyin", "own", "shopify", "amazon", "other"]
    public var id: Int64
    public var code: String
    public var name: String
    public var channel: String
    public var currency: String
}

public struct User: Sendable, Codable, Equatable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var email: String?
    public var status: String
    public var lockedUntil: Date?
    public var roles: [String]
    public var groups: [String]
    public var lastLoginAt: Date?
}

public struct Group: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var roles: [String]
    /// Store codes the group is limited to; empty means every store.
    public var stores: [String]
    public var members: [String]
}

public struct Role: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var description: String
    public var builtin: Bool
    public var permissions: [String]
}

public struct AuditEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var target: String
    public var before: String?
    public var after: String?
}
