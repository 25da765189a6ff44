import Foundation

extension DemoRun {
    /// A row of the Alipay account statement (账务明细) still to be written.
    struct AlipayRow {
        enum Kind { case sale, serviceFee, commission, refund }
        var kind: Kind
        var orderReference: String?
        var title: String
        var counterparty: String
        var amount: Int64
        var businessNumber: String
        /// A planted sale of no order: its 账务流水号 goes into the truth.
        var plantedWithoutOrder = false
    }

    /// A row of the WeChat Pay trade bill (交易账单, ALL) still to be written.
    struct WeChatRow {
        var refund: Bool
        var wechatNumber: String
        var orderNumber: String
        var openID: String
        var title: String
        var settle: Int64
        var refundAmount: Int64 = 0
        var refundNumber = ""
        var merchantRefundNumber = ""
        /// Fee in 1/100,000 yuan (5 decimals), positive; printed negative on refunds.
        var feeUnits: Int64
        var rate: String
    }

    /// How a withdrawal reaches the bank.
    enum WithdrawalPlan {
        case normal
        /// Planted: it never arrives (payout_not_in_bank).
        case missing
        /// Noise: two withdrawals of one day arrive as one bank credit.
        case pairFirst, pairSecond
        /// Noise: one withdrawal arrives as two bank credits on one day.
        case splitTwo
    }

    struct Withdrawal {
        var store: DemoStore
        var day: Int
        var slot: Int
        var slots: Int
        var plan: WithdrawalPlan
    }

    // MARK: - Queueing an order's settlements

    func queueAlipay(_ o: DemoOrder) {
        let business = DemoCalendar.compactDate(DemoCalendar.day(of: o.paidAt ?? o.created)) + "22001"
            + DemoFormat.digits(o.index, 10) + "58"
        let reference = "T200P" + o.number
        let title = o.lines[0].product.title
        if let gross = o.saleGross, let paid = o.paidAt {
            // The statement names the payer on every sale, with or without 商户订单号: the buyer's
            // Alipay account as the order export prints it (the buyer rule of loose matching).
            queue.push(.alipay(AlipayRow(kind: .sale, orderReference: o.saleReferenced ? reference : nil, title: title,
                                         counterparty: o.buyerAccount, amount: gross,
                                         businessNumber: business)), at: paid + 2)
            queue.push(.alipay(AlipayRow(kind: .serviceFee, orderReference: reference, title: "", counterparty: "",
                                         amount: rounded(gross * 60, 10_000), businessNumber: business)), at: paid + 3)
            let commission = rounded(gross * o.commissionBP, 10_000)
            if commission > 0 {
                queue.push(.alipay(AlipayRow(kind: .commission, orderReference: reference, title: "", counterparty: "",
                                             amount: commission, businessNumber: business)), at: paid + 4)
            }
        }
        if o.refund > 0, let at = o.refundAt {
            queue.push(.alipay(AlipayRow(kind: .refund, orderReference: reference, title: title, counterparty: o.buyerAccount,
                                         amount: o.refund, businessNumber: business)), at: at)
        }
    }

    func queueWeChat(_ o: DemoOrder) {
        guard let paid = o.paidAt else { return }
        let day = DemoCalendar.day(of: paid)
        let number = "420000" + DemoCalendar.compactDate(day) + DemoFormat.digits(o.index, 14)
        let title = o.lines.count == 1 ? o.lines[0].product.title : o.lines[0].product.title + " 等\(o.lines.count)件"
        let rate = o.wechatFeePerFen == 6 ? "0.60%" : DemoFormat.yuan(o.wechatFeePerFen * 10) + "%"
        if let gross = o.saleGross {
            queue.push(.wechat(WeChatRow(refund: false, wechatNumber: number, orderNumber: o.number, openID: o.buyer, title: title,
                                         settle: gross, feeUnits: gross * o.wechatFeePerFen, rate: rate)), at: paid)
            addNoise("wechat_fee_with_5_decimals")
        }
        if o.refund > 0, let at = o.refundAt {
            let refundDay = DemoCalendar.day(of: at)
            queue.push(.wechat(WeChatRow(refund: true, wechatNumber: number, orderNumber: o.number, openID: o.buyer, title: title,
                                         settle: o.saleGross ?? o.paid, refundAmount: o.refund,
                                         refundNumber: "503000" + DemoCalendar.compactDate(refundDay) + DemoFormat.digits(o.index, 14),
                                         merchantRefundNumber: "RF" + o.number, feeUnits: o.refund * o.wechatFeePerFen, rate: rate)),
                       at: at)
        }
    }

    /// Planted sales that belong to no order (transaction_without_order), one per store in turn.
    func scheduleTransactionsWithoutOrder() {
        for j in 0..<options.plantsPerType {
            let at = startTime + 2 * 3600 + int64(0...(endTime - startTime - 40 * 3600), &rng)
            let amount = unique(int64(3_000...60_000, &rng) / 10 * 10 + 3, in: &unmatchedAmounts, oddFen: true)
            if j % 2 == 0 {
                let number = "9" + yymm + DemoFormat.digits(j, 10) + "00"
                queue.push(.alipay(AlipayRow(kind: .sale, orderReference: "T200P" + number, title: "淘宝订单", counterparty: "zh***@163.com",
                                             amount: amount, businessNumber: DemoCalendar.compactDate(DemoCalendar.day(of: at))
                                                 + "22009" + DemoFormat.digits(j, 12), plantedWithoutOrder: true)), at: at)
            } else {
                let day = DemoCalendar.day(of: at)
                let wechatNumber = "420009" + DemoCalendar.compactDate(day) + DemoFormat.digits(j, 14)
                queue.push(.wechat(WeChatRow(refund: false, wechatNumber: wechatNumber, orderNumber: "MX" + yyyymm + DemoFormat.digits(j, 8),
                                             openID: "oPLANTED" + letters(20, &rng, upper: true), title: "小程序订单", settle: amount,
                                             feeUnits: amount * 6, rate: "0.60%")), at: at)
                plant("transaction_without_order", .miniapp, wechatNumber, amount: amount, day: day)
            }
        }
    }

    // MARK: - Writing rows

    func writeAlipay(_ row: AlipayRow, at time: Int64) throws {
        alipaySeq += 1
        let day = DemoCalendar.day(of: time)
        let id = DemoCalendar.compactDate(day) + DemoFormat.digits(alipaySeq, 12)
        let income: Int64 = row.kind == .sale ? row.amount : 0
        let expense: Int64 = row.kind == .sale ? 0 : row.amount
        alipayBalance += income - expense
        let (type, memo): (String, String) = switch row.kind {
        case .sale: ("在线支付", "")
        case .serviceFee: ("服务费", "交易服务费")
        case .commission: ("佣金", "天猫佣金(类目技术服务费)")
        case .refund: ("交易退款", "售后退款")
        }
        try alipayLine(id: id, business: row.businessNumber, order: row.orderReference ?? "", product: row.title, time: time,
                       counterparty: row.counterparty, income: income, expense: expense, type: type, memo: memo)
        if row.plantedWithoutOrder {
            plant("transaction_without_order", .tmall, id, amount: row.amount, day: day)
        }
    }

    private func alipayLine(id: String, business: String, order: String, product: String, time: Int64, counterparty: String,
                            income: Int64, expense: Int64, type: String, memo: String) throws {
        if income > 0 {
            alipayIncome.count += 1
            alipayIncome.total += income
        } else {
            alipayExpense.count += 1
            alipayExpense.total += expense
        }
        let fields = [id, business, order, product, DemoCalendar.dateTime(time), counterparty, income > 0 ? DemoFormat.yuan(income) : "",
                      expense > 0 ? DemoFormat.yuan(expense) : "", DemoFormat.yuan(alipayBalance), "支付宝", type, memo]
        // Alipay ends every field with a TAB before the comma.
        try alipay.line(fields.map { DemoFormat.csv($0 + "\t") }.joined(separator: ","))
        record("transactions", in: Files.alipay)
    }

    func writeWeChat(_ row: WeChatRow, at time: Int64) throws {
        let fee = row.refund ? -row.feeUnits : row.feeUnits
        let feeFen = rounded(row.feeUnits, 1_000)
        if row.refund {
            wechatBalance -= row.refundAmount - feeFen
            wechatTotals.refund += row.refundAmount
        } else {
            wechatBalance += row.settle - feeFen
            wechatTotals.settle += row.settle
            wechatTotals.order += row.settle
        }
        wechatTotals.feeUnits += fee
        wechatTradeRows += 1
        let fields = [
            DemoCalendar.dateTime(time), Self.wechatAppID, Self.wechatMerchant, "0", "", row.wechatNumber, row.orderNumber, row.openID,
            "JSAPI", row.refund ? "REFUND" : "SUCCESS", row.refund ? "OTHERS" : (row.settle % 3 == 0 ? "CFT" : "OTHERS"), "CNY",
            DemoFormat.yuan(row.refund ? 0 : row.settle), "0.00", row.refund ? row.refundNumber : "0",
            row.refund ? row.merchantRefundNumber : "0", DemoFormat.yuan(row.refundAmount), "0.00", row.refund ? "ORIGINAL" : "",
            row.refund ? "SUCCESS" : "", row.title, "", DemoFormat.yuan5(fee), row.rate, DemoFormat.yuan(row.refund ? 0 : row.settle),
            DemoFormat.yuan(row.refundAmount), "",
        ]
        try wechatTrade.line(fields.map { DemoFormat.csv("`" + $0) }.joined(separator: ","))
        record("transactions", in: Files.wechatTrade)
    }

    // MARK: - Withdrawals

    /// Plans every withdrawal of the month: one or more a day per store from the second day,
    /// with a few days reserved for split payouts and some withdrawals planted as missing.
    func scheduleWithdrawals() throws {
        let perDay = max(1, count / 2_000)
        let days = Array((firstDay + 1)..<endDay)
        // Split payouts get days of their own (over both stores), so that no other unmatched
        // payout or credit shares their day; a few of each kind per store are enough.
        let splits = min(3, max(1, count / 100_000))
        var reserved: [DemoStore: [Int: WithdrawalPlan]] = [:]
        var candidates = Array(days.dropFirst().dropLast(2))
        for store in DemoStore.allCases {
            for plan in [WithdrawalPlan.pairFirst, .splitTwo] {
                for _ in 0..<splits where !candidates.isEmpty {
                    let day = candidates.remove(at: Int(rng.next() % UInt64(candidates.count)))
                    reserved[store, default: [:]][day] = plan
                    specialBankDays.insert(day + 1)
                }
            }
        }
        var missing = Set<String>()
        for j in 0..<options.plantsPerType {
            let store: DemoStore = j % 2 == 0 ? .tmall : .miniapp
            while true {
                let day = days[Int(rng.next() % UInt64(days.count))]
                let slot = Int(rng.next() % UInt64(perDay))
                guard reserved[store]?[day] == nil, missing.insert("\(store.code):\(day):\(slot)").inserted else { continue }
                break
            }
        }
        for store in DemoStore.allCases {
            for day in days {
                let special = reserved[store]?[day]
                let slots = special == .pairFirst ? max(2, perDay) : perDay
                for slot in 0..<slots {
                    var plan = WithdrawalPlan.normal
                    if special == .pairFirst, slot < 2 { plan = slot == 0 ? .pairFirst : .pairSecond }
                    if special == .splitTwo, slot == 0 { plan = .splitTwo }
                    if missing.contains("\(store.code):\(day):\(slot)") { plan = .missing }
                    let spacing = Int64(8 * 3600 / slots)
                    let at = DemoCalendar.start(ofDay: day) + 10 * 3600 + Int64(slot) * spacing
                        + int64(0...min(1_200, spacing - 1), &rng) + (store == .miniapp ? 1_800 : 0)
                    queue.push(.withdrawal(Withdrawal(store: store, day: day, slot: slot, slots: slots, plan: plan)), at: at)
                }
            }
        }
    }

    func withdraw(_ w: Withdrawal, at time: Int64) throws {
        let balance = w.store == .tmall ? alipayBalance : wechatBalance
        let share = balance * 9 / 10 / Int64(w.slots - w.slot)
        var amount = unique(max(share, 10_000) - int64(0...999, &rng), in: &moneyAmounts)
        if w.plan == .pairSecond, let first = pendingPair[w.store] {
            // The bank credit is the pair's sum: keep that unique too.
            while moneyAmounts.contains(first + amount) {
                moneyAmounts.remove(amount)
                amount = unique(amount + 1, in: &moneyAmounts)
            }
            moneyAmounts.insert(first + amount)
        }
        let reference: String
        switch w.store {
        case .tmall:
            alipaySeq += 1
            reference = DemoCalendar.compactDate(w.day) + DemoFormat.digits(alipaySeq, 12)
            alipayBalance -= amount
            try alipayLine(id: reference, business: DemoCalendar.compactDate(w.day) + "2100" + DemoFormat.digits(alipaySeq, 10),
                           order: "", product: "", time: time, counterparty: "", income: 0, expense: amount, type: "提现",
                           memo: "提现到招商银行(尾号0801)")
            record("payouts", in: Files.alipay)
        case .miniapp:
            fundSeq += 1
            reference = Self.wechatMerchant + DemoCalendar.compactDate(w.day) + DemoFormat.digits(fundSeq, 10)
            wechatBalance -= amount
            wechatFundRows.count += 1
            wechatFundRows.total += amount
            let fields = [DemoCalendar.dateTime(time), "", reference, "提现", "提现", "支出", DemoFormat.yuan(amount),
                          DemoFormat.yuan(wechatBalance), "商户管理员", "提现到招商银行 尾号0801", ""]
            try wechatFund.line(fields.map { DemoFormat.csv("`" + $0) }.joined(separator: ","))
            record("transactions", in: Files.wechatFund)
            record("payouts", in: Files.wechatFund)
        }
        try bankCredit(for: w, amount: amount, reference: reference)
    }
}
