/// The ground truth of a generated month (`truth.json`): what was written, and every exception
/// that was planted, so that a reconciliation run can be checked exactly.
public struct DemoTruth: Codable, Sendable, Hashable {
    /// A store of the demo merchant and the channel to create it with.
    public struct Store: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var channel: String
        public var currency: String
    }

    /// A written file and how to load it.
    public struct File: Codable, Sendable, Hashable {
        public var name: String
        /// `import` (load with `shoprecon import --format FORMAT`), `mapping` (save with
        /// `shoprecon mapping create NAME --json-file`) or `rate_card`.
        public var role: String
        /// The `shoprecon import --format` word.
        public var format: String?
        /// The store to import into (`nil` for the bank statement, mappings and the rate card).
        public var store: String?
        /// The saved mapping the import needs (`--mapping`), or the name a mapping file is saved under.
        public var mapping: String?
        /// `GBK` or `UTF-8`.
        public var encoding: String
        /// Records the parser yields, per importer record kind (`orders`, `transactions`, …).
        public var records: [String: Int]

        enum CodingKeys: String, CodingKey { case name, role, format, store, mapping, encoding, records }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(role, forKey: .role)
            try c.encode(format, forKey: .format)
            try c.encode(store, forKey: .store)
            try c.encode(mapping, forKey: .mapping)
            try c.encode(encoding, forKey: .encoding)
            try c.encode(records, forKey: .records)
        }
    }

    /// One planted exception: the engine must raise exactly this.
    public struct Planted: Codable, Sendable, Hashable {
        /// The exception type (`duplicate_order`, …, as in RECON_SPEC.md).
        public var type: String
        /// Store code; `nil` for bank lines.
        public var store: String?
        /// The identifying field of the record as the importer stores it: `orders.order_no`,
        /// `platform_transactions.transaction_no`, `payouts.payout_ref`,
        /// `bank_statement_lines.reference`, `returns.return_no`, `courier_bill_lines.waybill_no`.
        public var reference: String
        /// The record's own amount in minor units: the order's paid amount (order amount for
        /// `unpaid`, refunded amount for `refund_without_return`), the transaction's gross, the
        /// payout or bank credit amount, the return's refund amount, the courier line's amount due.
        public var amount: Int64
        public var currency: String
        /// The date that puts the record in the period (`YYYY-MM-DD`, local).
        public var date: String
        /// What a clean record would have had, where that is defined: the sale gross that was
        /// paid (`amount_mismatch`), the rate-card price (`courier_overcharge`), the fees at the
        /// usual rate (`fee_anomaly`).
        public var expected: Int64?
        /// What the record actually has where it differs from ``expected``: the sale gross
        /// (`amount_mismatch`), the fees charged (`fee_anomaly`), the amount due (`courier_overcharge`).
        public var actual: Int64?
        /// For `duplicate_order`: the earlier order it duplicates.
        public var twin: String?

        public init(type: String, store: String?, reference: String, amount: Int64, currency: String = "CNY", date: String,
                    expected: Int64? = nil, actual: Int64? = nil, twin: String? = nil) {
            self.type = type
            self.store = store
            self.reference = reference
            self.amount = amount
            self.currency = currency
            self.date = date
            self.expected = expected
            self.actual = actual
            self.twin = twin
        }

        enum CodingKeys: String, CodingKey { case type, store, reference, amount, currency, date, expected, actual, twin }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(type, forKey: .type)
            try c.encode(store, forKey: .store)
            try c.encode(reference, forKey: .reference)
            try c.encode(amount, forKey: .amount)
            try c.encode(currency, forKey: .currency)
            try c.encode(date, forKey: .date)
            try c.encodeIfPresent(expected, forKey: .expected)
            try c.encodeIfPresent(actual, forKey: .actual)
            try c.encodeIfPresent(twin, forKey: .twin)
        }
    }

    public var seed: UInt64
    /// `YYYY-MM`.
    public var period: String
    /// The earliest as-of date (`YYYY-MM-DD`) for which the truth holds: period end + 20 days.
    public var asOf: String
    public var timeZone: String
    public var currency: String
    public var merchant: String
    public var stores: [Store]
    /// The bank account the statement is for.
    public var bankAccount: String
    public var files: [File]
    /// Records generated per importer record kind, over all files.
    public var counts: [String: Int]
    /// Ordinary noise that must NOT raise exceptions, per kind.
    public var noise: [String: Int]
    public var planted: [Planted]

    enum CodingKeys: String, CodingKey {
        case seed, period, asOf = "as_of", timeZone = "time_zone", currency, merchant, stores, bankAccount = "bank_account",
             files, counts, noise, planted
    }

    /// Planted exceptions per type.
    public var plantedCounts: [String: Int] {
        planted.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }
}
