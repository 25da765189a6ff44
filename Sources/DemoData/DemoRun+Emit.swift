import Foundation

extension DemoRun {
    static let tmallHeader = [
        "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分", "买家实际支付金额",
        "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ",
        "宝贝标题 ", "宝贝种类", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费",
        "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名",
        "修改后的sku", "修改后的收货地址", "异常信息", "发货时间", "确认收货时间", "退款金额", "退款状态",
    ]

    static let miniappHeader = ["订单号", "下单时间", "支付时间", "发货时间", "完成时间", "订单状态", "用户ID", "商品编码", "商品名称", "数量",
                                "单价", "商品金额", "运费", "订单金额", "实付金额", "退款金额", "物流单号", "快递公司", "币种"]

    static let courierHeader = ["运单号", "寄件日期", "快递公司", "始发地", "目的地", "计费区域", "计费重量", "运费", "优惠金额", "应付金额", "订单号", "备注"]

    static let returnsHeader = ["退货单号", "订单编号", "退货运单号", "商品编码", "退货数量", "退款金额", "退货状态", "申请时间"]

    /// Writes an order's rows, queues its settlements and writes its courier and return lines.
    func emit(_ order: DemoOrder) throws {
        plantTruth(order)
        switch order.store {
        case .tmall:
            try writeTmallOrder(order)
            queueAlipay(order)
            try writeCourierLines(order)
            try writeReturn(order)
        case .miniapp:
            try writeMiniappOrder(order)
            queueWeChat(order)
        }
    }

    private func plantTruth(_ o: DemoOrder) {
        let day = DemoCalendar.day(of: o.created)
        switch o.role {
        case .duplicate:
            plant("duplicate_order", o.store, o.number, amount: o.paid, day: day, twin: o.twin)
        case .missingOnPlatform:
            plant("missing_on_platform", o.store, o.number, amount: o.paid, day: day)
        case .overdueReceivable:
            plant("overdue_receivable", o.store, o.number, amount: o.paid, day: day)
        case .unpaid:
            plant("unpaid", o.store, o.number, amount: o.total, day: day)
        case .amountMismatch:
            plant("amount_mismatch", o.store, o.number, amount: o.paid, day: day, expected: o.paid, actual: o.saleGross)
        case .feeAnomaly:
            let gross = o.saleGross ?? 0
            let usual = o.store == .tmall ? alipayFees(gross, commissionBP: o.lines.map(\.product.commissionBP).max() ?? 0)
                                          : wechatFee(gross, perFen: 6)
            let charged = o.store == .tmall ? alipayFees(gross, commissionBP: o.commissionBP) : wechatFee(gross, perFen: o.wechatFeePerFen)
            plant("fee_anomaly", o.store, o.number, amount: o.paid, day: day, expected: usual, actual: charged)
        case .refundWithoutReturn:
            plant("refund_without_return", o.store, o.number, amount: o.refund, day: day)
        case .returnNotReceived:
            if let ret = o.returned {
                plant("return_not_received", o.store, ret.number, amount: ret.refund, day: DemoCalendar.day(of: ret.created))
            }
        case .courierOvercharge:
            if let waybill = o.waybill, let shipped = o.shippedAt {
                let price = DemoCatalog.price(DemoCatalog.zones[o.zone], grams: o.grams)
                plant("courier_overcharge", o.store, waybill, amount: price + o.overcharge, day: DemoCalendar.day(of: shipped),
                      expected: price, actual: price + o.overcharge)
            }
        case .normal, .duplicateOriginal, .unreferencedSale, .partialReturn, .refundBeforeShipping, .cancelledUnpaid:
            break
        }
    }

    /// Alipay service fee (0.6%) plus commission, each rounded half-up to the fen.
    func alipayFees(_ gross: Int64, commissionBP: Int64) -> Int64 {
        rounded(gross * 60, 10_000) + rounded(gross * commissionBP, 10_000)
    }

    /// The WeChat Pay fee rounded half-up to the fen (`perFen` is in 1/100,000 yuan per fen).
    func wechatFee(_ gross: Int64, perFen: Int64) -> Int64 { rounded(gross * perFen, 1_000) }

    func rounded(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? (value + divisor / 2) / divisor : -((-value + divisor / 2) / divisor)
    }

    // MARK: - Order exports

    private func writeTmallOrder(_ o: DemoOrder) throws {
        let t = DemoCalendar.dateTime
        var f = [String](repeating: "", count: Self.tmallHeader.count)
        let line = o.lines[0]
        f[0] = "=\"" + o.number + "\""
        f[1] = o.buyer
        f[2] = o.buyerAccount
        f[3] = DemoFormat.yuan(o.goods)
        f[4] = DemoFormat.yuan(o.shipping)
        f[5] = "0"
        f[6] = DemoFormat.yuan(o.total)
        f[7] = "0"
        f[8] = DemoFormat.yuan(o.paid)
        f[9] = "0"
        f[10] = tmallStatus(o)
        f[12] = o.contactName
        f[13] = o.address
        f[14] = "快递"
        f[16] = "1" + String(30 + o.index % 60) + "****" + DemoFormat.digits(o.index % 10_000, 4)
        f[17] = t(o.created)
        f[18] = o.paidAt.map(t) ?? ""
        f[19] = line.product.title
        f[20] = "1"
        f[21] = o.waybill ?? ""
        f[22] = o.waybill == nil ? "" : DemoCatalog.courier
        f[24] = String(line.quantity)
        f[25] = "62017355"
        f[26] = Self.merchant
        f[27] = o.status == .cancelled ? "买家不想买了" : (o.status == .refunded && o.shippedAt == nil ? "退款" : "")
        f[28] = "0.00"
        f[29] = "0.00"
        f[31] = "手机订单"
        f[41] = o.shippedAt.map(t) ?? ""
        f[42] = o.completedAt.map(t) ?? ""
        f[43] = DemoFormat.yuan(o.refund)
        f[44] = o.status == .refunded ? "退款成功" : ""
        // The order number keeps its ="…" guard unquoted, as Taobao writes it.
        try tmallOrders.line(f[0] + "," + DemoFormat.csvLine(Array(f.dropFirst())))
        record("orders", in: Files.tmallOrders)
    }

    private func tmallStatus(_ o: DemoOrder) -> String {
        switch o.status {
        case .pendingPayment: "等待买家付款"
        case .paid: "买家已付款，等待卖家发货"
        case .shipped: "卖家已发货，等待买家确认"
        case .completed: "交易成功"
        case .cancelled: "交易关闭"
        case .refunded: o.shippedAt == nil ? "交易关闭" : "交易成功"
        }
    }

    private func writeMiniappOrder(_ o: DemoOrder) throws {
        let t = DemoCalendar.dateTime
        let status = switch o.status {
        case .pendingPayment: "待付款"
        case .paid: "待发货"
        case .shipped: "已发货"
        case .completed: "已完成"
        case .cancelled: "已取消"
        case .refunded: "已退款"
        }
        for line in o.lines {
            try miniappOrders.line(DemoFormat.csvLine([
                o.number, t(o.created), o.paidAt.map(t) ?? "", o.shippedAt.map(t) ?? "", o.completedAt.map(t) ?? "", status, o.buyer,
                line.product.sku, line.product.title, String(line.quantity), DemoFormat.yuan(line.unitPrice), DemoFormat.yuan(line.amount),
                DemoFormat.yuan(o.shipping), DemoFormat.yuan(o.total), DemoFormat.yuan(o.paid), DemoFormat.yuan(o.refund),
                o.waybill ?? "", o.waybill == nil ? "" : "中通快递", "CNY",
            ]))
        }
        record("orders", in: Files.miniappOrders)
        records[Files.miniappOrders, default: [:]]["order_lines", default: 0] += o.lines.count
    }

    // MARK: - Courier bill and returns

    private func writeCourierLines(_ o: DemoOrder) throws {
        if let waybill = o.waybill, let shipped = o.shippedAt, DemoCalendar.day(of: shipped) < endDay {
            let zone = DemoCatalog.zones[o.zone]
            let due = DemoCatalog.price(zone, grams: o.grams) + o.overcharge
            try courierLine(waybill, day: DemoCalendar.day(of: shipped), zone: zone, grams: o.grams, due: due, order: o, memo: "")
        }
        if let ret = o.returned, ret.received {
            let zone = DemoCatalog.zones[o.zone]
            let grams = (ret.quantity * o.lines[0].product.grams + 150 + 99) / 100 * 100
            try courierLine(ret.waybill, day: DemoCalendar.day(of: ret.created), zone: zone, grams: grams,
                            due: DemoCatalog.price(zone, grams: grams), order: o, memo: "退货件")
            addNoise("return_shipment_on_courier_bill")
        }
    }

    private func courierLine(_ waybill: String, day: Int, zone: DemoCatalog.Zone, grams: Int, due: Int64, order: DemoOrder,
                             memo: String) throws {
        let city = zone.cities[order.index % zone.cities.count]
        try courier.line(DemoFormat.csvLine([
            waybill, DemoCalendar.date(day), DemoCatalog.courier, DemoCatalog.origin, city, zone.name, DemoFormat.kilograms(grams),
            DemoFormat.yuan(due), "0.00", DemoFormat.yuan(due), order.number, memo,
        ]))
        record("courier_lines", in: Files.courier)
    }

    private func writeReturn(_ o: DemoOrder) throws {
        guard let ret = o.returned else { return }
        try returns.line(DemoFormat.csvLine([
            ret.number, o.number, ret.waybill, ret.sku, String(ret.quantity), DemoFormat.yuan(ret.refund),
            ret.received ? "已签收" : "未签收", DemoCalendar.dateTime(ret.created),
        ]))
        record("returns", in: Files.returns)
    }
}
