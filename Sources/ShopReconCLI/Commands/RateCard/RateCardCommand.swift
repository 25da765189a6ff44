import ArgumentParser
import Foundation
import Ingest
import Reconcile

/// `shoprecon ratecard`: the courier prices that courier bills are checked against.
struct RateCardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratecard",
        abstract: "Courier rate cards: the price per zone that courier bill lines are checked against.",
        discussion: """
            A rate card file is a CSV with a header row; columns by name (English or Chinese):
              courier (快递公司), zone (区域), first_weight_kg (首重), first_fee (首重价格), extra_per_kg (续重单价), currency (币种)
            Fees in major units (12.00). A parcel costs first_fee up to the first weight, plus extra_per_kg per \
            started kilogram above it. Courier and zone must be written as in the courier bills.

            Example:
              courier,zone,first_weight_kg,first_fee,extra_per_kg,currency
              SF,华东,1,12.00,2.00,CNY
            """,
        subcommands: [Import.self, List.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load rate cards from a CSV file (settings.manage).")
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Remove the cards the file does not list.") var replace = false
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let cards = try RateCardFile.read(path: file)
                let replace = self.replace
                let saved = try await access.run { tx, context in
                    try RateCardDirectory.save(cards, replaceAll: replace, context: context, on: tx)
                }
                try emit(["saved": saved], json: output.json) { "Saved \(saved) rate card(s) from \(file)." }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rate cards.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let cards = try await access.run { tx, context in try RateCardDirectory.list(context: context, on: tx) }
                try emit(cards, json: output.json) {
                    var table = TextTable("courier", "zone", "first kg", "first fee", "per extra kg", "currency")
                    for card in cards {
                        table.append([card.courier, card.zone, String(format: "%.3g", Double(card.firstWeightGrams) / 1000),
                                      MoneyText.format(card.firstFee), MoneyText.format(card.extraPerKg), card.currency])
                    }
                    return cards.isEmpty ? "No rate card yet; load one with `shoprecon ratecard import FILE`." : table.render()
                }
            }
        }
    }
}

/// Reads a rate card CSV (UTF-8 or GBK), columns by header name.
enum RateCardFile {
    static func read(path: String) throws -> [RateCard] {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CLIFailure.notFound("cannot read \(path)", hint: "check the path")
        }
        let decoded = DecodingByteSource(DataByteSource(data), fileName: url.lastPathComponent)
        var tokenizer = CSVTokenizer(source: decoded, fileName: url.lastPathComponent)
        var header: [String: Int] = [:]
        var cards: [RateCard] = []
        let names: [String: [String]] = [
            "courier": ["courier", "快递公司", "快递"], "zone": ["zone", "区域", "分区"],
            "first_weight_kg": ["first_weight_kg", "首重", "首重(kg)", "首重（kg）"],
            "first_fee": ["first_fee", "首重价格", "首重费用", "首重价格(元)", "首重价格（元）"],
            "extra_per_kg": ["extra_per_kg", "续重单价", "续重单价(元/kg)", "续重单价（元/kg）"],
            "currency": ["currency", "币种"],
        ]
        let fileName = url.lastPathComponent
        try tokenizer.forEachRow { row in
            if row.isBlank { return true }
            if header.isEmpty {
                for (index, field) in row.fields.enumerated() {
                    let name = field.trimmingCharacters(in: .whitespaces).lowercased()
                    if let key = names.first(where: { $0.value.contains(name) })?.key { header[key] = index }
                }
                for required in ["courier", "zone", "first_fee", "extra_per_kg"] where header[required] == nil {
                    throw CLIFailure.badInput("\(fileName), line \(row.line): no column \(required) in the header",
                                              hint: "the header needs courier, zone, first_fee and extra_per_kg (see `shoprecon ratecard --help`)")
                }
                return true
            }
            func value(_ key: String) -> String? {
                header[key].flatMap { $0 < row.fields.count ? row.fields[$0].trimmingCharacters(in: .whitespaces) : nil }
                    .flatMap { $0.isEmpty ? nil : $0 }
            }
            func money(_ key: String) throws -> Int64 {
                guard let text = value(key), let amount = AmountParser.parse(text), let minor = amount.rescaled(to: 2) else {
                    throw CLIFailure.badInput("\(fileName), line \(row.line), column \(key): '\(value(key) ?? "")' is not an amount",
                                              hint: "write amounts like 12.00")
                }
                return minor.units
            }
            var grams = 1000
            if let weight = value("first_weight_kg") {
                guard let kg = AmountParser.parse(weight), let g = kg.rescaled(to: 3), g.units > 0 else {
                    throw CLIFailure.badInput("\(fileName), line \(row.line), column first_weight_kg: '\(weight)' is not a weight in kg")
                }
                grams = Int(g.units)
            }
            guard let courier = value("courier"), let zone = value("zone") else {
                throw CLIFailure.badInput("\(fileName), line \(row.line): courier and zone must not be empty")
            }
            cards.append(RateCard(courier: courier, zone: zone, firstWeightGrams: grams, firstFee: try money("first_fee"),
                                  extraPerKg: try money("extra_per_kg"), currency: value("currency")?.uppercased() ?? "CNY"))
            return true
        }
        guard !cards.isEmpty else { throw CLIFailure.badInput("\(fileName) has no rate card rows") }
        return cards
    }
}
