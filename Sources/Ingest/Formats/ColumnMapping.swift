/// A saved, per-tenant description of a CSV/XLSX layout for the generic importer
/// (``FileFormat/mapped``): which record kind the rows are, which source column(s) feed each
/// field, and how to read numbers, dates and signs.
///
/// Stored as JSON; example (a Chinese bank export):
/// ```json
/// {"name": "ICBC", "kind": "bank_line",
///  "fields": {"booking_date": ["交易日期"], "credit": ["收入金额"], "debit": ["支出金额"],
///             "counterparty_name": ["对方户名"], "memo": ["摘要", "附言"]},
///  "currency": "CNY"}
/// ```
/// Each field lists header names; the first that the file has is used (matched after
/// ``HeaderName/normalize(_:)``), except `memo`, which joins every listed column present.
public struct ColumnMapping: Sendable, Hashable, Codable {
    /// The kind of record each row becomes.
    public enum RecordKind: String, Sendable, Hashable, Codable, CaseIterable {
        case order
        case transaction
        case bankLine = "bank_line"
        case courierLine = "courier_line"
        case returnRecord = "return"
        case skuCost = "sku_cost"
    }

    /// How a single amount column's sign is read (bank lines and transactions).
    public enum SignConvention: String, Sendable, Hashable, Codable {
        /// Negative = money out (debit).
        case signed
        /// Positive = money out (some bank exports print debits positive and credits negative).
        case inverted
        /// Unsigned amount; the `direction` column says credit or debit (``creditValues``/``debitValues``).
        case directionColumn = "direction_column"
    }

    /// Unit of the `weight` column of courier bills.
    public enum WeightUnit: String, Sendable, Hashable, Codable {
        case kilogram = "kg"
        case gram = "g"
    }

    public var name: String
    public var kind: RecordKind
    /// Field name (see ``fieldNames(for:)``) → header names, in order of preference.
    public var fields: [String: [String]]
    public var dateOrder: DateOrder?
    public var decimalSeparator: DecimalSeparator?
    /// Currency when no `currency` column is mapped (else the parse options' currency).
    public var currency: String?
    public var sign: SignConvention
    /// `direction` values meaning credit (money in); compared after normalization, by prefix.
    public var creditValues: [String]
    /// `direction` values meaning debit (money out).
    public var debitValues: [String]
    /// Channel/provider of orders, returns and transactions (`taobao`, `alipay`, …).
    public var channel: String?
    /// Courier name for courier bill lines without a courier column.
    public var courier: String?
    public var weightUnit: WeightUnit
    /// Field delimiter of text files (`","`, `"\t"`, `";"`); detected when `nil`.
    public var delimiter: String?
    /// XLSX sheet name; the first sheet when `nil`.
    public var sheet: String?
    /// Rows whose first value starts with one of these end the data (totals lines).
    public var trailerPrefixes: [String]
    /// Bank account for bank lines without an `account` column.
    public var account: String?

    public init(name: String, kind: RecordKind, fields: [String: [String]], dateOrder: DateOrder? = nil,
                decimalSeparator: DecimalSeparator? = nil, currency: String? = nil, sign: SignConvention = .signed,
                creditValues: [String] = ColumnMapping.defaultCreditValues, debitValues: [String] = ColumnMapping.defaultDebitValues,
                channel: String? = nil, courier: String? = nil, weightUnit: WeightUnit = .kilogram, delimiter: String? = nil,
                sheet: String? = nil, trailerPrefixes: [String] = ColumnMapping.defaultTrailerPrefixes, account: String? = nil) {
        self.name = name
        self.kind = kind
        self.fields = fields
        self.dateOrder = dateOrder
        self.decimalSeparator = decimalSeparator
        self.currency = currency
        self.sign = sign
        self.creditValues = creditValues
        self.debitValues = debitValues
        self.channel = channel
        self.courier = courier
        self.weightUnit = weightUnit
        self.delimiter = delimiter
        self.sheet = sheet
        self.trailerPrefixes = trailerPrefixes
        self.account = account
    }

    public static let defaultCreditValues = ["收入", "收", "入账", "贷", "贷方", "C", "CR", "CRDT", "credit", "in", "+"]
    public static let defaultDebitValues = ["支出", "支", "出账", "借", "借方", "D", "DR", "DBIT", "debit", "out", "-"]
    public static let defaultTrailerPrefixes = ["#", "合计", "总计", "本页合计", "小计", "汇总"]

    enum CodingKeys: String, CodingKey {
        case name, kind, fields, dateOrder = "date_order", decimalSeparator = "decimal_separator", currency, sign
        case creditValues = "credit_values", debitValues = "debit_values", channel, courier, weightUnit = "weight_unit"
        case delimiter, sheet, trailerPrefixes = "trailer_prefixes", account
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "mapping"
        kind = try c.decode(RecordKind.self, forKey: .kind)
        fields = try c.decode([String: [String]].self, forKey: .fields)
        dateOrder = try c.decodeIfPresent(DateOrder.self, forKey: .dateOrder)
        decimalSeparator = try c.decodeIfPresent(DecimalSeparator.self, forKey: .decimalSeparator)
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        sign = try c.decodeIfPresent(SignConvention.self, forKey: .sign) ?? .signed
        creditValues = try c.decodeIfPresent([String].self, forKey: .creditValues) ?? Self.defaultCreditValues
        debitValues = try c.decodeIfPresent([String].self, forKey: .debitValues) ?? Self.defaultDebitValues
        channel = try c.decodeIfPresent(String.self, forKey: .channel)
        courier = try c.decodeIfPresent(String.self, forKey: .courier)
        weightUnit = try c.decodeIfPresent(WeightUnit.self, forKey: .weightUnit) ?? .kilogram
        delimiter = try c.decodeIfPresent(String.self, forKey: .delimiter)
        sheet = try c.decodeIfPresent(String.self, forKey: .sheet)
        trailerPrefixes = try c.decodeIfPresent([String].self, forKey: .trailerPrefixes) ?? Self.defaultTrailerPrefixes
        account = try c.decodeIfPresent(String.self, forKey: .account)
    }

    /// The field names a kind accepts; required ones first.
    public static func fieldNames(for kind: RecordKind) -> (required: [String], optional: [String]) {
        switch kind {
        case .bankLine:
            return (["booking_date"], ["value_date", "amount", "credit", "debit", "direction", "counterparty_name",
                                       "counterparty_account", "reference", "customer_reference", "end_to_end_id", "memo",
                                       "balance", "currency", "account", "transaction_code"])
        case .courierLine:
            return (["waybill"], ["amount_due", "fee", "discount", "ship_date", "origin", "destination", "zone", "weight",
                                  "reference", "memo", "courier"])
        case .transaction:
            return (["transaction_id"], ["gross", "net", "fee", "type", "direction", "occurred_at", "order_reference",
                                         "related_transaction_id", "counterparty", "memo", "balance", "payout_id", "currency",
                                         "status", "account"])
        case .order:
            return (["order_number"], ["status", "buyer_id", "buyer_name", "buyer_phone", "address", "store", "created_at",
                                       "paid_at", "shipped_at", "completed_at", "goods_amount", "order_amount", "paid_amount",
                                       "discount", "platform_discount", "shipping", "merchant_receivable", "refund_status",
                                       "refund_amount", "waybill", "courier", "memo", "sku", "product_id", "title", "variant",
                                       "quantity", "unit_price", "line_amount", "currency"])
        case .returnRecord:
            return (["order_number"], ["return_number", "waybill", "sku", "quantity", "refund_amount", "received_status",
                                       "created_at", "currency"])
        case .skuCost:
            return (["sku", "unit_cost"], ["title", "effective_from", "currency"])
        }
    }

    /// Checks field names and required fields; throws ``IngestError/Code/mapping``.
    public func validate() throws {
        let (required, optional) = Self.fieldNames(for: kind)
        let known = Set(required + optional)
        let unknown = fields.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw IngestError(.mapping, "mapping \"\(name)\" has unknown fields for \(kind.rawValue): \(unknown.joined(separator: ", "))",
                              hint: "fields for \(kind.rawValue): \((required + optional).joined(separator: ", "))")
        }
        let missing = required.filter { (fields[$0] ?? []).isEmpty }
        if !missing.isEmpty {
            throw IngestError(.mapping, "mapping \"\(name)\" does not map the required fields \(missing.joined(separator: ", "))")
        }
        switch kind {
        case .bankLine where fields["amount"] == nil && fields["credit"] == nil && fields["debit"] == nil:
            throw IngestError(.mapping, "mapping \"\(name)\" needs an amount field or credit/debit fields")
        case .transaction where fields["gross"] == nil && fields["net"] == nil:
            throw IngestError(.mapping, "mapping \"\(name)\" needs a gross or net field")
        case .courierLine where fields["amount_due"] == nil && fields["fee"] == nil:
            throw IngestError(.mapping, "mapping \"\(name)\" needs an amount_due or fee field")
        default:
            break
        }
        if sign == .directionColumn, fields["direction"] == nil {
            throw IngestError(.mapping, "mapping \"\(name)\" uses sign direction_column but maps no direction field")
        }
        if let delimiter, delimiter.utf8.count != 1 {
            throw IngestError(.mapping, "mapping \"\(name)\" has delimiter \"\(delimiter)\"; it must be one ASCII character")
        }
    }

    /// The mapping's ``delimiter`` as a byte.
    var delimiterByte: UInt8? {
        guard let delimiter, delimiter.utf8.count == 1 else { return nil }
        return delimiter.utf8.first
    }
}

extension ColumnMapping {
    /// Shipped default for SF Express / ZTO style monthly courier bills (月结对账单).
    public static let defaultCourier = ColumnMapping(
        name: "courier-default",
        kind: .courierLine,
        fields: [
            "waybill": ["运单号", "运单编号", "快递单号", "面单号", "单号"],
            "ship_date": ["寄件日期", "寄件时间", "发货日期", "揽收日期", "揽收时间", "日期"],
            "origin": ["始发地", "寄件地区", "原寄地", "寄件城市", "始发城市"],
            "destination": ["目的地", "收件地区", "目的城市", "收件城市", "到件城市"],
            "zone": ["计费区域", "区域", "分区"],
            "weight": ["计费重量", "结算重量", "计费重量(kg)", "重量"],
            "fee": ["运费", "费用", "标准运费", "原价运费"],
            "discount": ["优惠金额", "折扣金额", "优惠", "折扣"],
            "amount_due": ["应付金额", "应付运费", "应付", "结算金额", "实付金额"],
            "reference": ["订单号", "客户订单号", "参考号"],
            "memo": ["备注"],
            "courier": ["快递公司", "承运商"],
        ])

    /// Shipped default for Chinese bank statement exports (CSV/XLSX).
    public static let defaultBankCSV = ColumnMapping(
        name: "bank-csv-default",
        kind: .bankLine,
        fields: [
            "booking_date": ["交易日期", "记账日期", "交易时间", "入账日期", "日期"],
            "value_date": ["起息日", "起息日期"],
            "amount": ["交易金额", "发生额", "金额"],
            "credit": ["收入金额", "贷方发生额", "贷方金额", "收入", "存入金额", "贷方"],
            "debit": ["支出金额", "借方发生额", "借方金额", "支出", "支取金额", "借方"],
            "direction": ["借贷标志", "收支方向", "借贷方向", "交易方向"],
            "counterparty_name": ["对方户名", "对方账户名称", "对方名称", "收/付方名称", "对方单位"],
            "counterparty_account": ["对方账号", "对方账户", "收/付方账号"],
            "reference": ["流水号", "交易流水号", "凭证号", "交易序号"],
            "memo": ["摘要", "附言", "用途", "交易附言", "备注"],
            "balance": ["余额", "账户余额", "交易后余额"],
            "account": ["本方账号", "账号"],
            "currency": ["币种", "币别"],
        ])
}
