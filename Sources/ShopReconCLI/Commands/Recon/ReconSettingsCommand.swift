import ArgumentParser
import Ingest
import Reconcile

/// `shoprecon recon settings`: show or change the tenant's tolerances, windows and matching keys.
struct ReconSettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Show or change the reconciliation tolerances, windows and matching keys (settings.manage to change).",
        discussion: """
            Without options, prints the settings. Amounts in major units (0.50 = 50 fen).
              --amount-tolerance        difference between paid amount and sale still accepted (default 0)
              --amount-tolerance-pct    the same as a percentage of the amount; the larger of the two counts
              --settlement-lag-days     how long after payment/completion a sale may be booked (7, 0-90)
              --bank-window-days        how many days after a payout its bank credit may arrive (5, 0-60)
              --receivable-terms-days   after how many days a shipped order without sale is overdue (15)
              --return-receive-days     after how many days an announced return must have arrived (14)
              --courier-tolerance       overcharge still accepted per courier line (0)
              --duplicate-window-minutes  how close two identical orders of a buyer must be to be duplicates (10)
              --fee-rate PROVIDER=LOW:HIGH  expected fee range as fractions of the sale, e.g. alipay=0:0.06
              --loose-match-buyer on|off  a sale matched without reference, by amount
                and date, must agree with the order on the buyer (off)
              --refund-goods-check on|off  a refund after shipping must be covered by
                the goods received back (SKU, quantity) plus shipping (off)
            Buyer rule: the sale's payer (Alipay 对方账号, WeChat 用户标识) against the
            order's buyer id or account, masked accounts (138****1234) by their
            visible characters; a side without a buyer still matches; among several
            candidates the only one whose buyer agrees wins (rule amount+date+buyer,
            confidence 0.9). Only for order exports that carry the payer's
            identifier (Tmall: 买家支付宝账号).
            Goods check: uncovered refunds are refund_without_return; the returns
            file and the order lines must use the same SKU codes.
            See README.md, "Matching keys".
            """
    )

    @Option(name: .customLong("amount-tolerance"), help: ArgumentHelp("Major units.", valueName: "amount")) var amountTolerance: String?
    @Option(name: .customLong("amount-tolerance-pct"), help: ArgumentHelp("Percent.", valueName: "pct")) var amountTolerancePct: String?
    @Option(name: .customLong("settlement-lag-days")) var settlementLagDays: Int?
    @Option(name: .customLong("bank-window-days")) var bankWindowDays: Int?
    @Option(name: .customLong("receivable-terms-days")) var receivableTermsDays: Int?
    @Option(name: .customLong("return-receive-days")) var returnReceiveDays: Int?
    @Option(name: .customLong("courier-tolerance"), help: ArgumentHelp("Major units.", valueName: "amount")) var courierTolerance: String?
    @Option(name: .customLong("duplicate-window-minutes")) var duplicateWindowMinutes: Int?
    @Option(name: .customLong("fee-rate"), help: ArgumentHelp("Repeatable.", valueName: "provider=low:high")) var feeRates: [String] = []
    @Option(name: .customLong("loose-match-buyer"), help: ArgumentHelp("Sales matched by amount and date must agree on the buyer.",
                                                                       valueName: "on|off")) var looseMatchBuyer: OnOff?
    @Option(name: .customLong("refund-goods-check"), help: ArgumentHelp("Refunds must be covered by the goods received back.",
                                                                        valueName: "on|off")) var refundGoodsCheck: OnOff?
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let changes = try self.changes()
            let settings = try await access.run { tx, context in
                changes.isEmpty ? try ReconSettings.load(context: context, on: tx)
                                : try ReconSettings.update(changes, context: context, on: tx)
            }
            try emit(settings, json: output.json) {
                var table = TextTable("setting", "value")
                table.append(["amount tolerance", MoneyText.format(settings.amountTolerance)])
                table.append(["amount tolerance %", settings.amountTolerancePercent])
                table.append(["settlement lag days", String(settings.settlementLagDays)])
                table.append(["bank window days", String(settings.bankDateWindowDays)])
                table.append(["receivable terms days", String(settings.receivableTermsDays)])
                table.append(["return receive days", String(settings.returnReceiveDays)])
                table.append(["courier tolerance", MoneyText.format(settings.courierTolerance)])
                table.append(["duplicate window minutes", String(settings.duplicateWindowMinutes)])
                for (provider, range) in settings.feeRates.sorted(by: { $0.key < $1.key }) {
                    table.append(["fee rate \(provider)", range.map { String($0) }.joined(separator: " .. ")])
                }
                table.append(["loose match buyer", settings.looseMatchBuyer ? "on" : "off"])
                table.append(["refund goods check", settings.refundGoodsCheck ? "on" : "off"])
                return table.render()
            }
        }
    }

    private func changes() throws -> [ReconSettings.Change] {
        var changes: [ReconSettings.Change] = []
        if let amountTolerance { changes.append(.amountTolerance(try minor(amountTolerance, "--amount-tolerance"))) }
        if let amountTolerancePct {
            guard AmountParser.parse(amountTolerancePct) != nil else { throw CLIFailure.badInput("--amount-tolerance-pct: '\(amountTolerancePct)' is not a number") }
            changes.append(.amountTolerancePercent(amountTolerancePct))
        }
        if let settlementLagDays { changes.append(.settlementLagDays(settlementLagDays)) }
        if let bankWindowDays { changes.append(.bankDateWindowDays(bankWindowDays)) }
        if let receivableTermsDays { changes.append(.receivableTermsDays(receivableTermsDays)) }
        if let returnReceiveDays { changes.append(.returnReceiveDays(returnReceiveDays)) }
        if let courierTolerance { changes.append(.courierTolerance(try minor(courierTolerance, "--courier-tolerance"))) }
        if let duplicateWindowMinutes { changes.append(.duplicateWindowMinutes(duplicateWindowMinutes)) }
        if let looseMatchBuyer { changes.append(.looseMatchBuyer(looseMatchBuyer == .on)) }
        if let refundGoodsCheck { changes.append(.refundGoodsCheck(refundGoodsCheck == .on)) }
        for item in feeRates {
            let parts = item.split(separator: "=", maxSplits: 1)
            let range = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard parts.count == 2, range.count == 2, AmountParser.parse(String(range[0])) != nil, AmountParser.parse(String(range[1])) != nil else {
                throw CLIFailure.badInput("--fee-rate '\(item)' is not PROVIDER=LOW:HIGH", hint: "e.g. --fee-rate alipay=0:0.06")
            }
            changes.append(.feeRate(provider: String(parts[0]), low: String(range[0]), high: String(range[1])))
        }
        return changes
    }

    private func minor(_ text: String, _ option: String) throws -> Int64 {
        guard let amount = AmountParser.parse(text), let minor = amount.rescaled(to: 2), minor.units >= 0 else {
            throw CLIFailure.badInput("\(option): '\(text)' is not an amount", hint: "write amounts in major units, e.g. 0.50")
        }
        return minor.units
    }
}

/// A setting that is on or off, as `recon settings` options take it.
enum OnOff: String, ExpressibleByArgument, CaseIterable {
    case on, off
}
