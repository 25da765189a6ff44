import ArgumentParser
import Foundation
import Imports
import Jobs
import Tenancy

/// `shoprecon store ...`: the shops of a tenant.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Add and list the tenant's stores (one per shop per channel).",
        subcommands: [Add.self, List.self, Connect.self, Connectors.self, Sync.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a store. Needs settings.manage.")
        @Argument(help: "Short code used on the command line, e.g. tmall-flagship.") var code: String
        @Option(help: "Display name, e.g. the shop's name on the platform.") var name: String
        @Option(help: "taobao, tmall, jd, pinduoduo, douyin, own, shopify, amazon or other.") var channel: String
        @Option(help: "Currency of the shop's amounts (ISO 4217).") var currency = "CNY"
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let (code, name, channel, currency) = (code, name, channel, currency)
                let store = try await access.run { tx, context in
                    try StoreDirectory.add(code: code, name: name, channel: channel, currency: currency, context: context, on: tx)
                }
                try emit(store, json: output.json) { "Added store \(store.code) (\(store.channel))." }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stores you can see.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let stores = try await access.run { tx, context in try StoreDirectory.list(context: context, on: tx) }
                try emit(stores, json: output.json) {
                    var table = TextTable("CODE", "NAME", "CHANNEL", "CURRENCY")
                    for s in stores { table.append([s.code, s.name, s.channel, s.currency]) }
                    return table.render()
                }
            }
        }
    }

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let channel_sync jobs fetch a store's files or API (settings.manage).",
            discussion: """
                --inbox DIR: files dropped there are imported and moved to DIR/done (or DIR/failed \
                with the error beside them). --http URL --resource orders|transactions: pages \
                through the API since the stored cursor (README, "HTTP connector"). Then run \
                `shoprecon store sync CODE`, or schedule it: `shoprecon schedule add --kind \
                channel_sync --cron "*/30 * * * *" --args '{"store":"CODE"}' --name sync-CODE`.
                """
        )
        @Argument var code: String
        @Option(help: "Folder watched for files.") var inbox: String?
        @Option(help: "Format of the inbox files (default: auto).") var format: String?
        @Option(help: "Column mapping for the inbox files.") var mapping: String?
        @Option(help: "API URL.") var http: String?
        @Option(help: "orders or transactions.") var resource = "orders"
        @Option(help: "Environment variable of the daemon holding the API token.") var tokenEnv: String?
        @Option(help: "Items per page.") var pageSize = 500
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (inbox == nil) != (http == nil) else { throw ValidationError("give either --inbox DIR or --http URL") }
        }

        func run() async throws {
            try await runCommand {
                let code = self.code
                let inboxConfig = inbox.map { StoreConnector.Inbox(path: URL(fileURLWithPath: $0).standardizedFileURL.path, format: format, mapping: mapping) }
                let httpConfig = http.map { StoreConnector.HTTP(url: $0, resource: resource, tokenEnv: tokenEnv, pageSize: pageSize) }
                let connector = try await access.run { tx, context in
                    try ConnectorDirectory.save(store: code, inbox: inboxConfig, http: httpConfig, context: context, on: tx)
                }
                try emit(connector, json: output.json) { "Connected store \(code) (\(connector.kind.rawValue))." }
            }
        }
    }

    struct Connectors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List connectors with their cursor and last sync.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let connectors = try await access.run { tx, context in try ConnectorDirectory.list(context: context, on: tx) }
                try emit(connectors, json: output.json) {
                    var table = TextTable("STORE", "KIND", "SOURCE", "CURSOR", "LAST SYNC", "LAST ERROR")
                    for c in connectors {
                        table.append([c.store, c.kind.rawValue, c.inbox?.path ?? c.http?.url ?? "-", c.cursor ?? "-",
                                      c.lastSyncAt?.shortText ?? "-", String((c.lastError ?? "").prefix(50))])
                    }
                    return table.render()
                }
            }
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue a channel_sync job for a store now (import.run).")
        @Argument var code: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let code = self.code
                let job = try await access.run { tx, context in
                    let minute = Int(Date().timeIntervalSince1970 / 60)
                    let request = try JobRequest(kind: "channel_sync", queue: "default", tenantID: context.requireTenant(),
                                                 arguments: ["store": code], uniqueKey: "sync:\(context.requireTenant()):\(code):\(minute)")
                    return try JobQueue.enqueue(request, on: tx)
                }
                if let job {
                    try emit(job, json: output.json) { "Queued channel_sync job \(job.id) for \(code); a running shoprecond picks it up." }
                } else {
                    print("A sync of \(code) was queued in the last minute already.")
                }
            }
        }
    }
}
