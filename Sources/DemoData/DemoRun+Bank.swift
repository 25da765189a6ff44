import Foundation

extension DemoRun {
    /// A camt.053 entry still to be written.
    struct BankEntry {
        enum ReferenceStyle {
            /// The payout reference in RmtInf/Ustrd.
            case remittance
            /// The payout reference as the transaction's AcctSvcrRef (the entry has none of its own).
            case servicerReference
            /// The payout reference as EndToEndId.
            case endToEnd
            /// No payout reference anywhere.
            case none
        }

        var credit: Bool
        var amount: Int64
        var day: Int
        var style: ReferenceStyle
        var payoutReference: String?
        var remittance: String
        var counterparty: String
        var counterpartyAccount: String
        var code: String
        var plantedUnexplained = false
    }

    static let alipayPayer = ("支付宝(中国)网络技术有限公司", "1202020919900012345")
    static let wechatPayer = ("财付通支付科技有限公司", "4000023209200181386")

    /// Queues the bank credit(s) of a withdrawal, or plants it as missing.
    func bankCredit(for w: Withdrawal, amount: Int64, reference: String) throws {
        let payer = w.store == .tmall ? Self.alipayPayer : Self.wechatPayer
        let label = w.store == .tmall ? "支付宝提现" : "微信支付提现"
        func entry(_ amount: Int64, day: Int, style: BankEntry.ReferenceStyle) -> BankEntry {
            let text = style == .remittance ? label + " " + reference : label
            return BankEntry(credit: true, amount: amount, day: day, style: style, payoutReference: style == .none ? nil : reference,
                             remittance: text, counterparty: payer.0, counterpartyAccount: payer.1, code: "PMNT-RCDT-XBCT")
        }
        switch w.plan {
        case .missing:
            plant("payout_not_in_bank", w.store, reference, amount: amount, day: w.day)
        case .normal:
            let delays = [0, 1, 1, 1, 2, 3]
            let day = w.day + delays[Int(rng.next() % UInt64(delays.count))]
            let p = rng.next() % 100
            var style: BankEntry.ReferenceStyle = p < 40 ? .remittance : (p < 60 ? .servicerReference : (p < 70 ? .endToEnd : .none))
            // Every store has credits without a reference, however few its withdrawals.
            if w.day - firstDay == 3 + w.store.rawValue, w.slot == 0 { style = .none }
            if style == .none { addNoise("bank_credit_without_reference") }
            moneyAmounts.insert(amount)
            push(entry(amount, day: day, style: style))
        case .pairFirst:
            pendingPair[w.store] = amount
        case .pairSecond:
            let first = pendingPair.removeValue(forKey: w.store) ?? 0
            specialBankDays.insert(w.day + 1)
            push(entry(first + amount, day: w.day + 1, style: .none))
            addNoise("two_payouts_one_bank_credit")
        case .splitTwo:
            var part = amount * 6 / 10
            while moneyAmounts.contains(part) || moneyAmounts.contains(amount - part) || part * 2 == amount { part += 1 }
            moneyAmounts.insert(part)
            moneyAmounts.insert(amount - part)
            specialBankDays.insert(w.day + 1)
            push(entry(part, day: w.day + 1, style: .none))
            push(entry(amount - part, day: w.day + 1, style: .none))
            addNoise("one_payout_two_bank_credits")
        }
    }

    private func push(_ entry: BankEntry) {
        // Bookings are written at the end of their day, after that day's withdrawals.
        queue.push(.bank(entry), at: DemoCalendar.start(ofDay: entry.day) + 23 * 3600)
    }

    /// Ordinary debits (rent, salaries, utilities, freight) and the planted unexplained credits.
    func scheduleBankNoise() {
        let debits: [(day: Int, amount: Int64, text: String, party: String)] = [
            (2, 4_500_000, "房租 " + String(options.period.month) + "月", "杭州西溪科技园物业管理有限公司"),
            (9, 12_860_000 + Int64(count / 10) * 100, "代发工资", "招商银行代发工资户"),
            (14, 386_255, "电费", "国网浙江省电力有限公司杭州供电公司"),
            (19, 1_274_000 + Int64(count) * 90, "顺丰月结运费", "顺丰速运有限公司"),
        ]
        for debit in debits {
            queue.push(.bank(BankEntry(credit: false, amount: debit.amount, day: firstDay + debit.day, style: .none, payoutReference: nil,
                                       remittance: debit.text, counterparty: debit.party, counterpartyAccount: "5719" + DemoFormat.digits(debit.day, 11),
                                       code: "PMNT-ICDT-DMCT")),
                       at: DemoCalendar.start(ofDay: firstDay + debit.day) + 22 * 3600)
            addNoise("bank_debit")
        }
        // Extra salary runs for big merchants.
        for extra in 0..<(count / 100_000) {
            let day = firstDay + 9
            queue.push(.bank(BankEntry(credit: false, amount: 5_000_000 + Int64(extra) * 10_000, day: day, style: .none, payoutReference: nil,
                                       remittance: "代发工资 第\(extra + 2)批", counterparty: "招商银行代发工资户",
                                       counterpartyAccount: "571900000000009", code: "PMNT-ICDT-DMCT")),
                       at: DemoCalendar.start(ofDay: day) + 22 * 3600)
            addNoise("bank_debit")
        }
    }

    /// Queues the planted unexplained credits; called once the split payouts' bank days are known.
    func scheduleUnexplainedCredits() {
        let days = (firstDay..<endDay).filter { !specialBankDays.contains($0) }
        for j in 0..<options.plantsPerType {
            let day = days[Int(rng.next() % UInt64(days.count))]
            let amount = unique(int64(30_000...2_000_000, &rng) / 10 * 10 + 7, in: &moneyAmounts)
            let company = DemoCatalog.companies[j % DemoCatalog.companies.count]
            var entry = BankEntry(credit: true, amount: amount, day: day, style: .none, payoutReference: nil, remittance: "货款",
                                  counterparty: company, counterpartyAccount: "3301" + DemoFormat.digits(j, 12), code: "PMNT-RCDT-DMCT")
            entry.plantedUnexplained = true
            queue.push(.bank(entry), at: DemoCalendar.start(ofDay: day) + 16 * 3600)
        }
    }

    /// Writes one `Ntry` (to a temporary body: the balances that come first are known only at the end).
    func writeBank(_ e: BankEntry) throws {
        bankSeq += 1
        bankEntries += 1
        let ownReference = "CMB" + DemoCalendar.compactDate(e.day) + DemoFormat.digits(bankSeq, 8)
        let date = DemoCalendar.date(e.day)
        if e.credit { bankCredits += e.amount } else { bankDebits += e.amount }
        var x = "<Ntry><Amt Ccy=\"CNY\">" + DemoFormat.yuan(e.amount) + "</Amt><CdtDbtInd>" + (e.credit ? "CRDT" : "DBIT")
            + "</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>" + date + "</Dt></BookgDt><ValDt><Dt>" + date + "</Dt></ValDt>"
        if e.style != .servicerReference { x += "<AcctSvcrRef>" + ownReference + "</AcctSvcrRef>" }
        let parts = e.code.split(separator: "-")
        x += "<BkTxCd><Domn><Cd>" + parts[0] + "</Cd><Fmly><Cd>" + parts[1] + "</Cd><SubFmlyCd>" + parts[2]
            + "</SubFmlyCd></Fmly></Domn></BkTxCd>"
        x += "<NtryDtls><TxDtls><Refs>"
        if e.style == .servicerReference, let ref = e.payoutReference { x += "<AcctSvcrRef>" + ref + "</AcctSvcrRef>" }
        x += "<EndToEndId>" + (e.style == .endToEnd ? e.payoutReference ?? "NOTPROVIDED" : "NOTPROVIDED") + "</EndToEndId></Refs>"
        x += "<AmtDtls><TxAmt><Amt Ccy=\"CNY\">" + DemoFormat.yuan(e.amount) + "</Amt></TxAmt></AmtDtls><RltdPties>"
        let party = "<Nm>" + DemoFormat.xml(e.counterparty) + "</Nm>"
        let account = "<Id><Othr><Id>" + e.counterpartyAccount + "</Id></Othr></Id>"
        x += e.credit ? "<Dbtr>" + party + "</Dbtr><DbtrAcct>" + account + "</DbtrAcct>"
                      : "<Cdtr>" + party + "</Cdtr><CdtrAcct>" + account + "</CdtrAcct>"
        x += "</RltdPties><RmtInf><Ustrd>" + DemoFormat.xml(e.remittance) + "</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        try bankBody.line("      " + x)
        record("bank_lines", in: Files.bank)
        if e.plantedUnexplained {
            plant("unexplained_bank_credit", nil, ownReference, amount: e.amount, day: e.day)
        }
    }

    /// Writes the statement: group header, balances, then the entries from the temporary body.
    func assembleBankStatement() throws {
        try bankBody.close()
        let bodyURL = directory.appendingPathComponent(".bank-entries.tmp")
        defer { try? FileManager.default.removeItem(at: bodyURL) }
        let out = try DemoFileWriter(directory.appendingPathComponent(Files.bank))
        let opening: Int64 = 68_452_317
        let closing = opening + bankCredits - bankDebits
        let lastDay = endDay + 6
        let created = DemoCalendar.isoDateTime(DemoCalendar.start(ofDay: lastDay + 1) + 7 * 3600)
        func balance(_ code: String, _ amount: Int64, _ day: Int) -> String {
            "    <Bal><Tp><CdOrPrtry><Cd>\(code)</Cd></CdOrPrtry></Tp><Amt Ccy=\"CNY\">\(DemoFormat.yuan(abs(amount)))</Amt>"
                + "<CdtDbtInd>\(amount < 0 ? "DBIT" : "CRDT")</CdtDbtInd><Dt><Dt>\(DemoCalendar.date(day))</Dt></Dt></Bal>"
        }
        let id = "STMT" + DemoCalendar.compactDate(lastDay) + "0801"
        try out.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        try out.line("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">")
        try out.line("  <BkToCstmrStmt>")
        try out.line("    <GrpHdr><MsgId>MSG" + DemoCalendar.compactDate(lastDay) + "0801</MsgId><CreDtTm>" + created + "</CreDtTm></GrpHdr>")
        try out.line("    <Stmt>")
        try out.line("    <Id>" + id + "</Id><ElctrncSeqNb>" + String(options.period.month) + "</ElctrncSeqNb><CreDtTm>" + created + "</CreDtTm>")
        try out.line("    <FrToDt><FrDtTm>" + DemoCalendar.isoDateTime(startTime) + "</FrDtTm><ToDtTm>"
                     + DemoCalendar.isoDateTime(DemoCalendar.start(ofDay: lastDay) + 86_399) + "</ToDtTm></FrToDt>")
        try out.line("    <Acct><Id><Othr><Id>" + Self.bankAccount + "</Id></Othr></Id><Ccy>CNY</Ccy><Ownr><Nm>"
                     + "杭州云帆生活用品有限公司</Nm></Ownr><Svcr><FinInstnId><BIC>CMBCCNBS</BIC></FinInstnId></Svcr></Acct>")
        try out.line(balance("OPBD", opening, firstDay))
        try out.line(balance("CLBD", closing, lastDay))
        try out.line("    <TxsSummry><TtlCdtNtries><Sum>" + DemoFormat.yuan(bankCredits) + "</Sum></TtlCdtNtries><TtlDbtNtries><Sum>"
                     + DemoFormat.yuan(bankDebits) + "</Sum></TtlDbtNtries></TxsSummry>")
        let input = try FileHandle(forReadingFrom: bodyURL)
        while let chunk = try input.read(upToCount: 1 << 16), !chunk.isEmpty {
            try out.bytes(chunk)
        }
        try input.close()
        try out.line("    </Stmt>")
        try out.line("  </BkToCstmrStmt>")
        try out.line("</Document>")
        try out.close()
    }
}
