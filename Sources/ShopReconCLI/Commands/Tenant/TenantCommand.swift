import ArgumentParser
import Foundation
import Tenancy

/// `shoprecon tenant ...`: operator commands; they need the schema owner's credentials.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create and manage tenants (merchants). Operator only.",
        discussion: "Operator commands connect with DATABASE_URL (or --database-url), which must be the schema owner's credentials.",
        subcommands: [Create.self, List.self, Show.self, Suspend.self, Resume.self]
    )

    static func render(_ tenants: [Tenant]) -> String {
        var table = TextTable("SLUG", "NAME", "STATUS", "TIME ZONE", "CURRENCY", "CREATED")
        for t in tenants { table.append([t.slug, t.name, t.status, t.timeZone, t.currency, t.createdAt.shortText]) }
        return table.render()
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant with the built-in roles.")
        @Argument(help: "Short unique name: lower-case letters, digits, - and _.") var slug: String
        @Option(help: "Display name, e.g. the company name.") var name: String
        @Option(help: "IANA time zone for periods and schedules.") var timeZone = "Asia/Shanghai"
        @Option(help: "Default currency (ISO 4217).") var currency = "CNY"
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let (slug, name, tz, currency) = (slug, name, timeZone, currency)
                let tenant = try await TenantAccessOptions.asOperator(connection: connection, tenant: nil) { tx, _ in
                    try TenantDirectory.create(slug: slug, name: name, timeZone: tz, currency: currency, on: tx)
                }
                try emit(tenant, json: output.json) {
                    "Created tenant \(tenant.slug) (\(tenant.name)). Next: `shoprecon user add USER --tenant \(tenant.slug) --role owner`."
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let tenants = try await TenantAccessOptions.asOperator(connection: connection, tenant: nil) { tx, _ in
                    try TenantDirectory.list(on: tx)
                }
                try emit(tenants, json: output.json) { TenantCommand.render(tenants) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tenant with its stores and user count.")
        @Argument var slug: String
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                struct Detail: Encodable { var tenant: Tenant; var stores: [Store]; var users: Int }
                let detail = try await TenantAccessOptions.asOperator(connection: connection, tenant: slug) { tx, context in
                    Detail(tenant: try TenantDirectory.find(slug: context.tenantSlug ?? "", on: tx),
                           stores: try StoreDirectory.list(context: context, on: tx),
                           users: try UserDirectory.list(context: context, on: tx).count)
                }
                try emit(detail, json: output.json) {
                    TenantCommand.render([detail.tenant]) + "\nstores: \(detail.stores.map(\.code).joined(separator: ", "))\nusers: \(detail.users)"
                }
            }
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend a tenant: its users can no longer log in or use their sessions.")
        @Argument var slug: String
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        func run() async throws { try await TenantCommand.setActive(false, slug: slug, connection: connection, json: output.json) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a suspended tenant.")
        @Argument var slug: String
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        func run() async throws { try await TenantCommand.setActive(true, slug: slug, connection: connection, json: output.json) }
    }

    static func setActive(_ active: Bool, slug: String, connection: ConnectionOptions, json: Bool) async throws {
        try await runCommand {
            let tenant = try await TenantAccessOptions.asOperator(connection: connection, tenant: nil) { tx, _ in
                try TenantDirectory.setActive(active, slug: slug, on: tx)
            }
            try emit(tenant, json: json) { "Tenant \(tenant.slug) is \(tenant.status)." }
        }
    }
}
