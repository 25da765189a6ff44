import Foundation
import Ingest

/// A small, slow, literal reading of RECON_SPEC.md's rules over parsed records (default
/// settings), to check that the generator's clean records raise nothing and its planted ones
/// raise exactly their exception. Keys are `type|reference`.
struct DemoContractCheck {
    let month: DemoMonth
    let start: Int
    let end: Int
    let asOf: Int

    init(_ month: DemoMonth) {
        self.month = month
        start = DemoMonth.dayNumber(month.truth.period + "-01")!
        let p = month.truth.period.split(separator: "-").map { Int($0)! }
        end = p[1] == 12 ? DemoMonth.dayNumber("\(p[0] + 1)-01-01")! : DemoMonth.dayNumber("\(p[0])-\(p[1] + 1)-01")!
        asOf = DemoMonth.dayNumber(month.truth.asOf)!
    }

    func exceptions() -> Set<String> {
        orderFlow().union(collections()).union(returnsFlow())
    }

    private func day(_ t: Timestamp?) -> Int? { t?.localDate.daysSinceEpoch }

    // MARK: - Orders

    func orderFlow() -> Set<String> {
        var found = Set<String>()
        for store in month.orders.keys.sorted() {
            let orders = month.orders[store] ?? []
            let txns = month.transactions[store] ?? []
            var byRef: [String: [PlatformTransaction]] = [:]
            for t in txns { if let key = DemoMonth.norm(t.orderReference) { byRef[key, default: []].append(t) } }
            var matched: [String: [PlatformTransaction]] = [:]
            var matchedTxn = Set<String>()
            for o in orders {
                let sales = (byRef[DemoMonth.norm(o.orderNumber)!] ?? []).filter { $0.type == .sale }
                if !sales.isEmpty {
                    matched[o.orderNumber] = sales
                    sales.forEach { matchedTxn.insert($0.transactionID) }
                }
            }
            // amount+date for sales without a reference.
            let loose = txns.filter { $0.type == .sale && DemoMonth.norm($0.orderReference) == nil }
            let open = orders.filter { matched[$0.orderNumber] == nil && ($0.paidAmount?.minorUnits ?? 0) > 0 && $0.paidAt != nil }
            func fits(_ t: PlatformTransaction, _ o: OrderRecord) -> Bool {
                guard t.gross == o.paidAmount, let at = t.occurredAt?.date, let paid = o.paidAt?.date else { return false }
                return at >= paid && at <= paid.addingTimeInterval(7 * 86_400)
            }
            for t in loose {
                let candidates = open.filter { fits(t, $0) }
                guard candidates.count == 1, loose.filter({ fits($0, candidates[0]) }).count == 1 else { continue }
                matched[candidates[0].orderNumber] = [t]
                matchedTxn.insert(t.transactionID)
            }
            for t in txns where t.type == .sale && !matchedTxn.contains(t.transactionID) {
                if let d = day(t.occurredAt), d >= start, d < end { found.insert("transaction_without_order|\(t.transactionID)") }
            }
            let byBuyer = Dictionary(grouping: orders) { $0.buyerID ?? "" }
            for o in orders {
                let refs = byRef[DemoMonth.norm(o.orderNumber)!] ?? []
                let paid = o.paidAmount?.minorUnits ?? 0
                if o.status != .cancelled, (byBuyer[o.buyerID ?? ""] ?? []).contains(where: { o1 in
                    guard o1.orderNumber != o.orderNumber, o1.buyerID == o.buyerID, o1.paidAmount == o.paidAmount,
                          let a = o1.createdAt?.date, let b = o.createdAt?.date else { return false }
                    let gap = b.timeIntervalSince(a)
                    return gap > 0 && gap <= 600 && Self.lines(o1) == Self.lines(o)
                }) {
                    found.insert("duplicate_order|\(o.orderNumber)")
                }
                if o.status == .completed, refs.isEmpty { found.insert("missing_on_platform|\(o.orderNumber)") }
                if o.status == .shipped, matched[o.orderNumber] == nil, let d = day(o.shippedAt ?? o.paidAt), d < asOf - 15 {
                    found.insert("overdue_receivable|\(o.orderNumber)")
                }
                let shippedEvidence = o.shippedAt != nil || o.waybillNumber != nil
                if (shippedEvidence && o.status == .pendingPayment)
                    || ([.shipped, .completed].contains(o.status) && paid == 0 && (o.orderAmount?.minorUnits ?? 0) > 0) {
                    found.insert("unpaid|\(o.orderNumber)")
                }
                if let sales = matched[o.orderNumber] {
                    let gross = sales.reduce(Int64(0)) { $0 + $1.gross.minorUnits }
                    let refunds = -refs.filter { $0.type == .refund }.reduce(Int64(0)) { $0 + $1.gross.minorUnits }
                    if gross != paid || refunds > paid || sales.contains(where: { $0.gross.currency != o.currency }) {
                        found.insert("amount_mismatch|\(o.orderNumber)")
                    }
                    let rate = DemoMonth.feeRate(sales + refs.filter { $0.type == .fee || $0.type == .commission })
                    let provider = sales[0].provider
                    if rate < 0 || rate > (provider == .alipay ? 0.06 : provider == .wechatPay ? 0.01 : 1) {
                        found.insert("fee_anomaly|\(o.orderNumber)")
                    }
                }
            }
        }
        return found
    }

    private static func lines(_ o: OrderRecord) -> [String] {
        o.lines.map { "\($0.sku ?? $0.title ?? "")×\($0.quantity ?? 0)" }.sorted()
    }

    // MARK: - Collections

    func collections() -> Set<String> {
        let window = 5
        var payouts: [(store: String, p: PayoutRecord)] = []
        for (store, list) in month.payouts {
            for p in list { if let d = p.payoutDate?.daysSinceEpoch, d >= start - window, d < end { payouts.append((store, p)) } }
        }
        let credits = month.bankLines.enumerated().filter { _, b in
            guard b.direction == .credit, !b.isReversal, let d = (b.valueDate ?? b.bookingDate)?.daysSinceEpoch else { return false }
            return d >= start - window && d < end + window
        }.map { (id: $0.offset, line: $0.element) }
        var payoutLeft = Set(payouts.indices)
        func vday(_ i: Int) -> Int { (credits[i].line.valueDate ?? credits[i].line.bookingDate)!.daysSinceEpoch }
        var creditLeft = Set(credits.indices)
        // 1. reference
        for i in payoutLeft.sorted() {
            let p = payouts[i].p
            if let c = creditLeft.sorted().first(where: { DemoMonth.mentions(credits[$0].line, p.payoutID) && credits[$0].line.amount == p.amount }) {
                payoutLeft.remove(i)
                creditLeft.remove(c)
            }
        }
        // 2. amount + date, unique
        func inWindow(_ i: Int, _ c: Int) -> Bool {
            let d = payouts[i].p.payoutDate!.daysSinceEpoch
            return vday(c) >= d && vday(c) <= d + window
        }
        for i in payoutLeft.sorted() {
            let cs = creditLeft.filter { credits[$0].line.amount == payouts[i].p.amount && inWindow(i, $0) }
            guard cs.count == 1, let c = cs.first,
                  payoutLeft.filter({ payouts[$0].p.amount == credits[c].line.amount && inWindow($0, c) }).count == 1 else { continue }
            payoutLeft.remove(i)
            creditLeft.remove(c)
        }
        // 3. sum of a day's payouts = one credit
        let groups = Dictionary(grouping: payoutLeft.sorted()) { "\(payouts[$0].store)|\(payouts[$0].p.payoutDate!.daysSinceEpoch)" }
        for (_, members) in groups.sorted(by: { $0.key < $1.key }) where members.count > 1 {
            let sum = members.reduce(Int64(0)) { $0 + payouts[$1].p.amount.minorUnits }
            let cs = creditLeft.filter { credits[$0].line.amount.minorUnits == sum && inWindow(members[0], $0) }
            if cs.count == 1 {
                members.forEach { payoutLeft.remove($0) }
                creditLeft.remove(cs.first!)
            }
        }
        // 4. one payout = sum of a day's credits
        let days = Dictionary(grouping: creditLeft.sorted()) { vday($0) }
        for (_, members) in days.sorted(by: { $0.key < $1.key }) where members.count > 1 {
            let sum = members.reduce(Int64(0)) { $0 + credits[$1].line.amount.minorUnits }
            let ps = payoutLeft.filter { payouts[$0].p.amount.minorUnits == sum && inWindow($0, members[0]) }
            if ps.count == 1 {
                payoutLeft.remove(ps.first!)
                members.forEach { creditLeft.remove($0) }
            }
        }
        var found = Set<String>()
        for i in payoutLeft {
            let d = payouts[i].p.payoutDate!.daysSinceEpoch
            if d >= start, d < asOf - window { found.insert("payout_not_in_bank|\(payouts[i].p.payoutID)") }
        }
        for c in creditLeft where vday(c) >= start && vday(c) < end {
            found.insert("unexplained_bank_credit|\(credits[c].line.reference ?? "?")")
        }
        return found
    }

    // MARK: - Returns

    func returnsFlow() -> Set<String> {
        var found = Set<String>()
        let byOrder = month.transactionsByOrder
        for (_, o) in month.allOrders {
            guard let d = day(o.createdAt), d >= start, d < end else { continue }
            let refunds = (byOrder[DemoMonth.norm(o.orderNumber)!] ?? []).filter { $0.type == .refund }
            let sum = refunds.reduce(Int64(0)) { $0 + $1.gross.minorUnits }
            if sum < 0, o.shippedAt != nil || o.waybillNumber != nil,
               !month.returns.contains(where: { $0.orderNumber == o.orderNumber && $0.received == true }) {
                found.insert("refund_without_return|\(o.orderNumber)")
            }
        }
        for r in month.returns {
            guard let d = day(r.createdAt), d >= start, d < end, r.received != true, d < asOf - 14 else { continue }
            if !(byOrder[DemoMonth.norm(r.orderNumber)!] ?? []).contains(where: { $0.type == .refund }) {
                found.insert("return_not_received|\(r.returnNumber ?? "?")")
            }
        }
        for line in month.courierLines {
            guard let d = line.shipDate?.daysSinceEpoch, d >= start, d < end, let price = month.price(line) else { continue }
            if line.amountDue.minorUnits > price { found.insert("courier_overcharge|\(line.waybill)") }
        }
        return found
    }
}
