import ArgumentParser
import Tenancy

/// `shoprecon store ...`: the shops of a tenant.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Add and list the tenant's stores (one per shop per channel).",
        subcommands: [Add.self, List.self]
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
}
