/// One normalized record produced by a parser.
public enum ParsedRecord: Sendable, Hashable {
    case order(OrderRecord)
    case transaction(PlatformTransaction)
    case payout(PayoutRecord)
    case bankLine(BankStatementLine)
    case courierLine(CourierBillLine)
    case returnRecord(ReturnRecord)
    case skuCost(SKUCost)
    /// Statement-level facts: account, period, balances, the file's own totals.
    case summary(StatementSummary)

    /// Where the record starts in the file.
    public var position: SourcePosition {
        switch self {
        case .order(let r): r.position
        case .transaction(let r): r.position
        case .payout(let r): r.position
        case .bankLine(let r): r.position
        case .courierLine(let r): r.position
        case .returnRecord(let r): r.position
        case .skuCost(let r): r.position
        case .summary(let r): r.position
        }
    }
}

/// Facts about a whole statement or bill: the account it covers, its period, balances and the
/// totals the file declares (preamble lines, trailers, MT940 `:60F:`/`:62F:`, camt `Bal`).
///
/// The declared totals let the loader cross-check what was parsed (a truncated file has fewer
/// rows than `#交易合计：6笔` says).
public struct StatementSummary: Sendable, Hashable, Codable {
    public var position: SourcePosition
    public var format: FileFormat
    /// Account (Alipay PID+0156, IBAN, `:25:`).
    public var account: String?
    /// Statement id (`:20:` reference and `:28C:` number, camt `Stmt/Id`, settlement-id).
    public var statementID: String?
    public var periodStart: Timestamp?
    public var periodEnd: Timestamp?
    public var openingBalance: Money?
    public var closingBalance: Money?
    /// Number of detail rows the file says it has (sum of the trailer's counts).
    public var declaredCount: Int?
    /// Other declared totals by their label as printed (`商家实收`, `应结订单总金额`, `TtlCdtNtries`).
    public var declaredTotals: [String: ExactAmount]
    /// Texts worth keeping (`导出时间`, bill type), by label.
    public var attributes: [String: String]

    public init(position: SourcePosition, format: FileFormat) {
        self.position = position
        self.format = format
        self.declaredTotals = [:]
        self.attributes = [:]
    }
}
