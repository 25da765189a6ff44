/// The file formats ShopRecon reads. Raw values are the CLI's `--format` words.
public enum FileFormat: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case taobao
    case jd
    case pinduoduo
    case douyin
    case douyinSettlement = "douyin-settlement"
    case alipayTrade = "alipay-trade"
    case alipayAccount = "alipay-account"
    case wechatTrade = "wechat-trade"
    case wechatFund = "wechat-fund"
    case courier
    case shopifyPayouts = "shopify-payouts"
    case amazonSettlement = "amazon-settlement"
    case mt940
    case camt053
    case bankCSV = "bank-csv"
    case mapped

    public var description: String { rawValue }

    /// A short human name for messages.
    public var displayName: String {
        switch self {
        case .taobao: "Taobao/Tmall order export"
        case .jd: "JD order export"
        case .pinduoduo: "Pinduoduo order export"
        case .douyin: "Douyin order export"
        case .douyinSettlement: "Douyin settlement (动账) export"
        case .alipayTrade: "Alipay trade bill (业务明细)"
        case .alipayAccount: "Alipay account statement (账务明细)"
        case .wechatTrade: "WeChat Pay trade bill (交易账单)"
        case .wechatFund: "WeChat Pay fund bill (资金账单)"
        case .courier: "courier monthly bill"
        case .shopifyPayouts: "Shopify payout transactions"
        case .amazonSettlement: "Amazon settlement report (flat file V2)"
        case .mt940: "SWIFT MT940 statement"
        case .camt053: "ISO 20022 camt.053 statement"
        case .bankCSV: "bank statement CSV"
        case .mapped: "mapped CSV/XLSX"
        }
    }
}
