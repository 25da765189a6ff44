import Foundation

extension DemoRun {
    /// Ordinary order lifecycles (noise included) and the planted ones.
    enum Lifecycle {
        case cancelled, refundBeforeShipping, returned, paidOnly, shippedOnly, completed
    }

    var returnsLimit: Int { count * 6 / 10 }

    func orderSeed(_ index: Int) -> UInt64 {
        (options.seed &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03) ^ 0x0DE7_0000_0000_0000
    }

    /// Decides everything about order `index` (a planted duplicate copies `previous`).
    func makeOrder(_ index: Int, previous: DemoOrder?) -> DemoOrder {
        var r = SeededGenerator(seed: orderSeed(index))
        _ = r.next()
        let role = roles[index] ?? .normal
        let store = storeOverride[index] ?? (r.next() % 100 < 60 ? .tmall : .miniapp)
        let gap = orderSpan / Double(count)
        var created = startTime + 3600 + Int64((Double(index) + Double(r.next() % 500) / 1000) * gap)
        let number = store == .tmall
            ? "3" + yymm + DemoFormat.digits(index, 10) + DemoFormat.digits(Int(r.next() % 100), 2)
            : "MA" + yyyymm + DemoFormat.digits(index, 8)

        var lifecycle = Lifecycle.completed
        switch role {
        case .normal:
            let p = Int(r.next() % 1000)
            if p < 50 {
                lifecycle = .cancelled
            } else if p < 80 {
                lifecycle = .refundBeforeShipping
            } else if p < 120, store == .tmall, index < returnsLimit {
                lifecycle = .returned
            } else if p < 140 {
                lifecycle = .paidOnly
            } else if p < 170 {
                lifecycle = .shippedOnly
            }
        case .overdueReceivable: lifecycle = .shippedOnly
        case .unpaid: lifecycle = .cancelled  // adjusted below
        case .partialReturn: lifecycle = .returned
        case .refundBeforeShipping: lifecycle = .refundBeforeShipping
        case .cancelledUnpaid: lifecycle = .cancelled
        default: lifecycle = .completed
        }

        var order: DemoOrder
        if role == .duplicate, var first = previous {
            let longest = min(480, Int(gap / 2))
            created = first.created + Int64(longest >= 60 ? int(60...longest, &r) : max(1, longest))
            first.twin = first.number
            first.index = index
            first.role = role
            first.number = number
            order = first
        } else {
            order = freshOrder(index, store: store, role: role, number: number, lifecycle: lifecycle, &r)
        }
        order.created = created
        order.waybill = nil
        order.paidAt = nil
        order.shippedAt = nil
        order.completedAt = nil
        order.refund = 0
        order.refundAt = nil
        order.returned = nil
        order.overcharge = 0
        order.saleReferenced = true
        order.commissionBP = order.lines.map(\.product.commissionBP).max() ?? 0
        order.wechatFeePerFen = 6

        let hour: Int64 = 3600, day: Int64 = 86_400
        func ship() {
            order.shippedAt = (order.paidAt ?? created) + int64(2 * hour...40 * hour, &r)
            waybillSeq += 1
            order.waybill = store == .tmall ? "SF14" + yymm + DemoFormat.digits(waybillSeq, 8)
                                            : "7730" + yymm + DemoFormat.digits(waybillSeq, 8)
        }
        func complete() {
            ship()
            order.completedAt = order.shippedAt! + int64(2 * day...9 * day, &r)
            order.status = .completed
        }
        if role != .unpaid, lifecycle != .cancelled {
            order.paidAt = created + int64(10...1200, &r)
        }
        switch lifecycle {
        case .cancelled:
            order.status = .cancelled
            if role != .unpaid { addNoise("cancelled_unpaid") }
        case .refundBeforeShipping:
            order.status = .refunded
            order.refund = order.total
            order.refundAt = order.paidAt! + int64(hour...20 * hour, &r)
            addNoise("full_refund_before_shipping")
        case .paidOnly:
            order.status = .paid
            addNoise("paid_not_shipped")
        case .shippedOnly:
            ship()
            order.status = .shipped
            if role == .normal { addNoise("shipped_not_completed_with_sale") }
        case .completed:
            complete()
        case .returned:
            complete()
            returnSeq += 1
            waybillSeq += 1
            let line = order.lines[0]
            let partial = line.quantity > 1
            let created = order.shippedAt! + int64(2 * day...4 * day, &r)
            order.returned = DemoOrder.Return(number: "RT" + yyyymm + DemoFormat.digits(returnSeq, 7),
                                              waybill: "SF14" + yymm + DemoFormat.digits(waybillSeq, 8), created: created,
                                              received: true, sku: line.product.sku, quantity: partial ? 1 : line.quantity,
                                              refund: partial ? line.unitPrice : order.total)
            order.refund = order.returned!.refund
            order.refundAt = created + int64(day...2 * day, &r)
            if !partial { order.status = .refunded }
            addNoise(partial ? "partial_refund_with_received_return" : "full_refund_with_received_return")
        }

        switch role {
        case .unpaid:
            order.status = .pendingPayment
            waybillSeq += 1
            order.waybill = store == .tmall ? "SF14" + yymm + DemoFormat.digits(waybillSeq, 8)
                                            : "7730" + yymm + DemoFormat.digits(waybillSeq, 8)
        case .refundWithoutReturn:
            let line = order.lines[0]
            order.refund = line.quantity > 1 ? line.unitPrice : order.total * 3 / 10
            order.refundAt = order.shippedAt! + int64(2 * day...4 * day, &r)
        case .returnNotReceived:
            returnSeq += 1
            waybillSeq += 1
            let line = order.lines[0]
            order.returned = DemoOrder.Return(number: "RT" + yyyymm + DemoFormat.digits(returnSeq, 7),
                                              waybill: "SF14" + yymm + DemoFormat.digits(waybillSeq, 8),
                                              created: order.shippedAt! + int64(2 * day...4 * day, &r), received: false,
                                              sku: line.product.sku, quantity: 1, refund: line.unitPrice)
        case .courierOvercharge:
            order.overcharge = int64(300...2_000, &r)
        case .feeAnomaly:
            if store == .tmall { order.commissionBP = 900 } else { order.wechatFeePerFen = 15 }
        case .unreferencedSale:
            order.saleReferenced = false
            addNoise("sale_without_order_reference")
        default:
            break
        }

        switch role {
        case .missingOnPlatform, .overdueReceivable, .unpaid:
            order.saleGross = nil
        case .amountMismatch(let high):
            order.saleGross = high ? order.paid + int64(10_000...15_000, &r) : order.paid - int64(100...min(5_000, order.paid / 2), &r)
        default:
            order.saleGross = order.paidAt == nil ? nil : order.paid
        }
        if store == .tmall, order.shippedAt != nil {
            order.zone = pickZone(&r)
            let grams = order.lines.reduce(150) { $0 + $1.product.grams * $1.quantity }
            order.grams = (grams + 99) / 100 * 100
        }
        return order
    }

    private func pickZone(_ r: inout SeededGenerator) -> Int {
        let p = Int(r.next() % 100)
        switch p {
        case ..<10: return 0
        case ..<30: return 1
        case ..<60: return 2
        case ..<75: return 3
        case ..<95: return 4
        default: return 5
        }
    }

    /// A new order's buyer and goods.
    private func freshOrder(_ index: Int, store: DemoStore, role: DemoRole, number: String, lifecycle: Lifecycle,
                            _ r: inout SeededGenerator) -> DemoOrder {
        let products = store == .tmall ? DemoCatalog.tmallProducts : DemoCatalog.miniappProducts
        var lines: [DemoOrder.Line] = []
        let uniqueAmount = [.missingOnPlatform, .overdueReceivable, .unreferencedSale].contains(role)
        if store == .tmall || uniqueAmount {
            let product = products[Int(r.next() % UInt64(products.count))]
            let p = r.next() % 10
            var quantity = p < 6 ? 1 : (p < 9 ? 2 : 3)
            if lifecycle == .returned, quantity == 1, role == .partialReturn || r.next() % 4 != 0 { quantity = 2 }
            if role == .refundWithoutReturn { quantity = max(quantity, 2) }
            lines = [DemoOrder.Line(product: product, quantity: quantity, unitPrice: product.price)]
        } else {
            var available = products
            for _ in 0..<(1 + Int(r.next() % 3)) {
                let product = available.remove(at: Int(r.next() % UInt64(available.count)))
                lines.append(DemoOrder.Line(product: product, quantity: 1 + Int(r.next() % 2), unitPrice: product.price))
            }
        }
        var shipping: Int64
        if uniqueAmount {
            // One unit at a price with a non-zero last fen digit that no other such order has.
            lines[0].quantity = 1
            lines[0].unitPrice = unique(lines[0].product.price + int64(1...9, &r), in: &unmatchedAmounts, oddFen: true)
            shipping = 0
        } else {
            let goods = lines.reduce(0) { $0 + $1.amount }
            shipping = store == .tmall ? (goods >= 9_900 ? 0 : 1_000) : (goods >= 8_800 ? 0 : 800)
        }
        let buyer: String
        let account: String
        if store == .tmall {
            buyer = "tb_" + letters(4, &r) + padded36(index)
            account = r.next() % 2 == 0 ? "1" + DemoFormat.digits(Int(r.next() % 100), 2) + "****" + DemoFormat.digits(Int(r.next() % 10_000), 4)
                                        : letters(3, &r) + "***@" + (r.next() % 2 == 0 ? "163.com" : "qq.com")
        } else {
            buyer = "o" + letters(9, &r, upper: true) + padded36(index) + letters(12, &r)
            account = ""
        }
        let name = DemoCatalog.surnames[Int(r.next() % UInt64(DemoCatalog.surnames.count))] + "**"
        let address = DemoCatalog.provinces[Int(r.next() % UInt64(DemoCatalog.provinces.count))] + " " + letters(2, &r, upper: true)
            + "路" + String(1 + r.next() % 300) + "号"
        return DemoOrder(index: index, store: store, role: role, number: number, buyer: buyer, buyerAccount: account,
                         contactName: name, address: address, lines: lines, shipping: shipping, created: 0, status: .completed)
    }

    /// `index` in base 36, 6 characters (unique per order up to 2 billion orders).
    private func padded36(_ index: Int) -> String {
        let s = String(index, radix: 36)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}
