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
