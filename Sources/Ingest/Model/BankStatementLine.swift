/// Credit (money in) or debit (money out) from the account holder's view.
public enum Direction: String, Sendable, Hashable, Codable {
    case credit
    case debit
}

/// One transaction inside a batch-booked bank entry (camt.053 `TxDtls`).
public struct BankTransactionDetail: Sendable, Hashable, Codable {
    public var amount: Money?
    public var endToEndID: String?
    public var reference: String?
    public var counterpartyName: String?
    public var counterpartyAccount: String?
    public var remittance: String?

    public init(amount: Money? = nil, endToEndID: String? = nil, reference: String? = nil, counterpartyName: String? = nil,
                counterpartyAccount: String? = nil, remittance: String? = nil) {
        self.amount = amount
        self.endToEndID = endToEndID
        self.reference = reference
        self.counterpartyName = counterpartyName
        self.counterpartyAccount = counterpartyAccount
        self.remittance = remittance
    }
}

/// One booked movement on a bank account (MT940 `:61:`, camt.053 `Ntry`, a bank CSV row).
public struct BankStatementLine: Sendable, Hashable, Codable {
    public var position: SourcePosition
    /// The account (IBAN, account number, `:25:`).
    public var account: String
    /// Statement id (`:20:`/`:28C:`, `Stmt/Id`), when the file has one.
    public var statementID: String?
    public var bookingDate: LocalDate?
    public var valueDate: LocalDate?
    /// Signed: positive for a credit, negative for a debit (after applying a reversal).
    public var amount: Money
    public var direction: Direction
    /// The entry reverses an earlier one (MT940 `RC`/`RD`, camt.053 `RvslInd`).
    public var isReversal: Bool
    public var counterpartyName: String?
    public var counterpartyAccount: String?
    /// The bank's reference (`//` part of `:61:`, `AcctSvcrRef`, 流水号).
    public var reference: String?
    /// The customer's reference (`:61:` reference, `NtryRef`).
    public var customerReference: String?
    public var endToEndID: String?
    /// Purpose / remittance text (`:86:`, `Ustrd`, 摘要/附言/用途).
    public var memo: String?
    /// Balance after the movement, when printed (bank CSVs).
    public var balance: Money?
    /// Transaction type code (`NTRF`, `:86:` GVC, camt `BkTxCd`).
    public var transactionCode: String?
    /// The transactions of a batch booking; empty when the entry is a single transaction whose
    /// details are in the fields above.
    public var details: [BankTransactionDetail]

    public init(position: SourcePosition, account: String, amount: Money, direction: Direction, isReversal: Bool = false) {
        self.position = position
        self.account = account
        self.amount = amount
        self.direction = direction
        self.isReversal = isReversal
        self.details = []
    }
}
