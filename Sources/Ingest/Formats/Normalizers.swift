import Crypto
import Foundation

/// Maps printed order statuses (Chinese marketplaces, English exports) to ``OrderStatus``.
public enum OrderStatusNormalizer {
    /// The normalized status of `raw`, refined by an after-sales status (`退款成功` → refunded).
    public static func normalize(_ raw: String, refundStatus: String? = nil) -> OrderStatus {
        // Statuses repeat on every row: remember the few distinct ones.
        let key = refundStatus.map { raw + "\u{1F}" + $0 } ?? raw
        if let known = cache.withLock({ $0[key] }) { return known }
        let status = classify(raw, refundStatus: refundStatus)
        cache.withLock { if $0.count < 4096 { $0[key] = status } }
        return status
    }

    private static let cache = Locked<[String: OrderStatus]>([:])

    private static func classify(_ raw: String, refundStatus: String?) -> OrderStatus {
        if let refund = refundStatus.map(fold), !refund.isEmpty {
            if contains(refund, ["退款成功", "已退款", "全额退款", "退货退款成功", "refunded"]) { return .refunded }
            if contains(refund, ["退款中", "售后中", "申请退款", "待商家处理", "退货中", "refunding"]) { return .refunding }
        }
        let text = fold(raw)
        if text.isEmpty { return .unknown }
        if contains(text, ["退款成功", "已退款", "全额退款", "refunded"]) { return .refunded }
        if contains(text, ["退款中", "售后中", "partiallyrefunded", "refunding"]) { return .refunding }
        if contains(text, ["交易关闭", "已关闭", "关闭", "已取消", "取消", "删除", "cancelled", "canceled", "closed", "voided"]) {
            return .cancelled
        }
        if contains(text, ["等待买家付款", "待付款", "未付款", "待支付", "等待付款", "未支付", "pending", "unpaid", "authorized"]) {
            return .pendingPayment
        }
        if contains(text, ["待发货", "等待卖家发货", "等待出库", "待出库", "备货", "待配货", "unfulfilled", "unshipped"]) { return .paid }
        if contains(text, ["已发货", "卖家已发货", "等待确认收货", "待收货", "待签收", "运输中", "配送中", "shipped", "fulfilled", "intransit"]) {
            return .shipped
        }
        if contains(text, ["交易成功", "已完成", "完成", "已签收", "已收货", "确认收货", "completed", "delivered", "complete"]) {
            return .completed
        }
        if contains(text, ["已付款", "已支付", "付款成功", "paid"]) { return .paid }
        return .unknown
    }

    private static func fold(_ text: String) -> String {
        HeaderName.normalize(text)
    }

    private static func contains(_ text: String, _ needles: [String]) -> Bool {
        needles.contains { text.contains($0) }
    }
}

/// Maps printed business types (业务类型, Type, amount-type) to ``TransactionType``.
public enum TransactionTypeClassifier {
    /// Chinese and English labels: 提现/payout → payout, 退款/refund → refund, 佣金/技术服务费/
    /// commission → commission, 服务费/手续费/收费/fee → fee, 交易/在线支付/收款/charge/sale →
    /// sale; anything else → adjustment.
    public static func classify(_ labels: String?...) -> TransactionType {
        let text = labels.compactMap { $0 }.map(HeaderName.normalize).joined(separator: "|")
        func has(_ needles: [String]) -> Bool { needles.contains { text.contains($0) } }
        if has(["提现", "payout", "transfer", "withdraw", "出款"]) { return .payout }
        if has(["退款", "refund", "退货"]) { return .refund }
        if has(["佣金", "技术服务费", "commission"]) { return .commission }
        if has(["服务费", "手续费", "收费", "推广费", "fee"]) { return .fee }
        if has(["交易", "在线支付", "收款", "支付", "货款", "结算", "charge", "sale", "order", "payment"]) { return .sale }
        return .adjustment
    }
}

/// Deterministic ids for rows of files that print none (Shopify, Amazon): a hash of the row's
/// identifying fields, with `#2`, `#3` for identical rows in one file, so re-importing the same
/// file yields the same ids. Holds one counter per distinct id (files of this kind are small).
struct StableRowID {
    private var seen: [String: Int] = [:]
    let prefix: String

    init(prefix: String) { self.prefix = prefix }

    mutating func next(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0x1F]))
        }
        let digest = FileDigest.hex(hasher.finalize())
        let base = prefix + String(digest.prefix(24))
        let count = (seen[base] ?? 0) + 1
        seen[base] = count
        return count == 1 ? base : "\(base)#\(count)"
    }
}

/// Merges the rows of multi-row orders (one row per SKU) into one ``OrderRecord`` each.
///
/// Rows of one order are normally adjacent. Orders stay open in a first-in-first-out window of
/// ``window`` distinct order numbers, so rows up to that far apart are still merged; when the
/// window is full the oldest order is emitted. A row for an order that was already emitted
/// yields a second record with ``OrderRecord/isContinuation`` set (the loader adds its lines and
/// counts the repeated order-level amounts once). Emitted order numbers are remembered as 64-bit
/// hashes (8 bytes each) to recognise continuations.
struct OrderAggregator {
    let window: Int
    private var open: [String: OrderRecord] = [:]
    private var queue: [String] = []
    private var head = 0
    private var emitted = Set<UInt64>()

    init(window: Int) {
        self.window = max(1, window)
    }

    /// Adds one row's order: a new order opens; an open one is merged with `merge`.
    mutating func add(_ record: OrderRecord, merge: (inout OrderRecord, OrderRecord) -> Void, emit: RecordHandler) throws {
        if var existing = open[record.orderNumber] {
            open[record.orderNumber] = nil
            merge(&existing, record)
            open[record.orderNumber] = existing
            return
        }
        var fresh = record
        if emitted.contains(Self.hash(record.orderNumber)) { fresh.isContinuation = true }
        open[record.orderNumber] = fresh
        queue.append(record.orderNumber)
        while open.count > window {
            try emitOldest(emit)
        }
    }

    /// Emits every open order, oldest first.
    mutating func flush(_ emit: RecordHandler) throws {
        while !open.isEmpty {
            try emitOldest(emit)
        }
        queue.removeAll()
        head = 0
    }

    private mutating func emitOldest(_ emit: RecordHandler) throws {
        while head < queue.count {
            let key = queue[head]
            head += 1
            if let record = open.removeValue(forKey: key) {
                emitted.insert(Self.hash(key))
                if head > 1024, head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                try emit(.order(record))
                return
            }
        }
    }

    /// FNV-1a, 64-bit: stable across runs (unlike `Hasher`).
    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return value
    }
}

/// Text helpers for preambles and trailers of Chinese bills.
enum BillText {
    /// The row as one line of text (fields joined by commas), for `#…` preamble/trailer lines
    /// that the tokenizer may have split at ASCII commas.
    static func line(_ row: Row) -> String {
        var fields = row.fields
        while let last = fields.last, last.isEmpty { fields.removeLast() }
        return fields.joined(separator: ",")
    }

    /// Texts in square brackets: `#账号：[2088…]` → `["2088…"]`.
    static func bracketed(_ text: String) -> [String] {
        var result: [String] = []
        var current: String?
        for ch in text {
            if ch == "[" || ch == "【" {
                current = ""
            } else if ch == "]" || ch == "】" {
                if let value = current { result.append(value.trimmingCharacters(in: .whitespaces)) }
                current = nil
            } else if current != nil {
                current?.append(ch)
            }
        }
        return result
    }

    /// Splits a trailer like `#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元` into its label
    /// (`交易合计`), count (6) and amounts (`商家实收` 0.06, `商家优惠` 0.00).
    static func summary(_ text: String) -> (label: String, count: Int?, amounts: [(String, ExactAmount)])? {
        var body = Substring(text)
        while let first = body.first, first == "#" { body = body.dropFirst() }
        guard let colon = body.firstIndex(where: { $0 == "：" || $0 == ":" }) else { return nil }
        let label = String(body[..<colon]).trimmingCharacters(in: .whitespaces)
        let rest = body[body.index(after: colon)...]
        var count: Int?
        var amounts: [(String, ExactAmount)] = []
        for part in rest.split(whereSeparator: { $0 == "，" || $0 == "," || $0 == "；" || $0 == ";" }) {
            let piece = part.trimmingCharacters(in: .whitespaces)
            if piece.hasSuffix("笔"), let n = Int(piece.dropLast().trimmingCharacters(in: .whitespaces)) {
                count = n
                continue
            }
            // `商家实收共0.06元`, `共14989.00元`
            var name = piece
            var number = ""
            if let range = piece.range(of: "共") {
                name = String(piece[..<range.lowerBound])
                number = String(piece[range.upperBound...])
            } else if let start = piece.firstIndex(where: { $0.isNumber || $0 == "-" }) {
                name = String(piece[..<start])
                number = String(piece[start...])
            }
            if let value = AmountParser.parse(number) {
                amounts.append((name.isEmpty ? label : label + "." + name, value))
            }
        }
        return (label, count, amounts)
    }
}
