import Foundation
import PostgresClient

/// Tenants: created, suspended and resumed by the operator; each user sees only their own.
public enum TenantDirectory {
    static let columns = "tenant_id, slug, name, time_zone, currency, status, created_at"

    public static func create(slug: String, name: String, timeZone: String = "Asia/Shanghai", currency: String = "CNY",
                              on tx: isolated PostgresConnection) throws -> Tenant {
        guard slug.range(of: "^[a-z0-9][a-z0-9_-]{0,62}$", options: .regularExpression) != nil else {
            throw TenancyError(.invalidInput, "tenant slug \"\(slug)\" is not valid",
                               hint: "use lower-case letters, digits, '-' and '_', starting with a letter or digit")
        }
        try Validation.currency(currency)
        try Validation.timeZone(timeZone, on: tx)
        do {
            let row = try tx.query("INSERT INTO tenants (slug, name, time_zone, currency) VALUES ($1, $2, $3, $4) RETURNING " + columns,
                                   [slug, name, timeZone, currency])
            return try decode(row[0])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw TenancyError(.conflict, "a tenant with slug \"\(slug)\" exists already")
        }
    }

    public static func list(on tx: isolated PostgresConnection) throws -> [Tenant] {
        try tx.query("SELECT " + columns + " FROM tenants ORDER BY slug").map(decode)
    }

    public static func find(slug: String, on tx: isolated PostgresConnection) throws -> Tenant {
        guard let row = try tx.query("SELECT " + columns + " FROM tenants WHERE slug = $1", [slug]).first else {
            throw TenancyError(.notFound, "no tenant \"\(slug)\"", hint: "`shoprecon tenant list` shows the tenants")
        }
        return try decode(row)
    }

    /// Suspends (`active: false`) or resumes a tenant. A suspended tenant's users cannot log in
    /// and their open sessions stop working at once.
    public static func setActive(_ active: Bool, slug: String, on tx: isolated PostgresConnection) throws -> Tenant {
        guard let row = try tx.query("UPDATE tenants SET status = $2 WHERE slug = $1 RETURNING " + columns,
                                     [slug, active ? "active" : "suspended"]).first else {
            throw TenancyError(.notFound, "no tenant \"\(slug)\"", hint: "`shoprecon tenant list` shows the tenants")
        }
        return try decode(row)
    }

    static func decode(_ row: PostgresRow) throws -> Tenant {
        let (id, slug, name, tz, currency, status, created) = try row.decode((Int64, String, String, String, String, String, Date).self)
        return Tenant(id: id, slug: slug, name: name, timeZone: tz, currency: currency, status: status, createdAt: created)
    }
}

enum Validation {
    static func currency(_ code: String) throws {
        guard code.range(of: "^[A-Z]{3}$", options: .regularExpression) != nil else {
            throw TenancyError(.invalidInput, "currency \"\(code)\" is not an ISO 4217 code", hint: "for example CNY, USD, EUR")
        }
    }

    static func timeZone(_ name: String, on tx: isolated PostgresConnection) throws {
        guard try !tx.query("SELECT 1 FROM pg_timezone_names WHERE name = $1", [name]).isEmpty else {
            throw TenancyError(.invalidInput, "unknown time zone \"\(name)\"", hint: "use an IANA name such as Asia/Shanghai")
        }
    }
}
