/// The kinds of normalized record an import loads, each with its staging table.
public enum RecordKind: String, Sendable, Codable, CaseIterable, Hashable {
    case orders, transactions, payouts, bankLines = "bank_lines", courierLines = "courier_lines", returns,
         skuCosts = "sku_costs"

    var stagingTable: String {
        switch self {
        case .orders: "stage_orders"
        case .transactions: "stage_transactions"
        case .payouts: "stage_payouts"
        case .bankLines: "stage_bank_lines"
        case .courierLines: "stage_courier_lines"
        case .returns: "stage_returns"
        case .skuCosts: "stage_sku_costs"
        }
    }

    /// What `COPY ... FROM STDIN` names: the staging table, with its columns when the table
    /// has columns the merge fills.
    var copyTarget: String {
        self == .orders ? StagingTables.ordersCopyTarget : stagingTable
    }

    var createStatement: String {
        switch self {
        case .orders: StagingTables.orders
        case .transactions: StagingTables.transactions
        case .payouts: StagingTables.payouts
        case .bankLines: StagingTables.bankLines
        case .courierLines: StagingTables.courierLines
        case .returns: StagingTables.returns
        case .skuCosts: StagingTables.skuCosts
        }
    }
}
