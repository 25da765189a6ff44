import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// ISO 20022 camt.053 bank-to-customer statements (any version namespace: .001.02, .04, .08, …),
/// parsed with the streaming `XMLParser`: memory holds one entry at a time.
///
/// Each booked `Ntry` becomes one ``BankStatementLine`` (its amount is the account movement).
/// An entry with one `TxDtls` gets that transaction's end-to-end id, references, counterparty and
/// remittance; a batch entry with several keeps them in ``BankStatementLine/details``. The amount
/// keeps up to 5 decimals exactly. `CdtDbtInd` is the direction of the booking itself; with
/// `RvslInd` true the entry reverses an earlier one of the opposite direction
/// (``BankStatementLine/isReversal``), and the related parties are those of the original, so the
/// counterparty is read from the original's side. `Sts` may be text or `<Cd>`; entries with a
/// status other than `BOOK` are skipped with a warning. Each `Stmt` also yields a
/// ``StatementSummary`` (account, id, period, opening `OPBD`/`PRCD` and closing `CLBD` balances).
struct Camt053Parser {
    let context: ParseContext

    final class Handler: NSObject, XMLParserDelegate {
        let context: ParseContext
        let onRecord: RecordHandler
        let onReject: RejectHandler
        var outcome = TabularDriver.Outcome()
        var failure: (any Error)?
        var sawDocument = false
        weak var parser: XMLParser?

        private var path: [String] = []
        private var text = ""
        private var attributes: [String: String] = [:]

        // Statement state.
        private var statement: StatementSummary?
        private var account: String?
        private var accountCurrency: String?
        private var skippedStatus = 0

        // Balance state.
        private var balanceCode: String?
        private var balanceAmount: (String, String?)?
        private var balanceIndicator: String?
        private var balanceDate: String?

        // Entry state.
        private var entry: Entry?

        struct Entry {
            var line: Int
            var reference: String?
            var amount: (text: String, currency: String?)?
            var indicator: String?
            var reversal = false
            var status: String?
            var booking: String?
            var value: String?
            var servicerReference: String?
            var bankCode: [String] = []
            var additionalInfo: String?
            var transactions: [Transaction] = []
        }

        struct Transaction {
            var endToEndID: String?
            var servicerReference: String?
            var otherReference: String?
            var amount: (text: String, currency: String?)?
            var debtorName: String?
            var debtorAccount: String?
            var creditorName: String?
            var creditorAccount: String?
            var remittance: [String] = []
            var structuredReference: String?
            var additionalInfo: String?
        }

        init(context: ParseContext, onRecord: @escaping RecordHandler, onReject: @escaping RejectHandler) {
            self.context = context
            self.onRecord = onRecord
            self.onReject = onReject
        }

        private func stop(_ error: any Error) {
            failure = error
            parser?.abortParsing()
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                    attributes attributeDict: [String: String] = [:]) {
            self.parser = parser
            guard failure == nil else { return }
            let name = SAXHandler.localName(elementName)
            path.append(name)
            text = ""
            attributes = attributeDict
            switch name {
            case "BkToCstmrStmt": sawDocument = true
            case "Stmt":
                statement = StatementSummary(position: SourcePosition(line: parser.lineNumber), format: .camt053)
                account = nil
                accountCurrency = nil
            case "Bal":
                balanceCode = nil
                balanceAmount = nil
                balanceIndicator = nil
                balanceDate = nil
            case "Ntry":
                entry = Entry(line: parser.lineNumber)
            case "TxDtls":
                entry?.transactions.append(Transaction())
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard failure == nil else { return }
            let name = SAXHandler.localName(elementName)
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            text = ""
            defer { _ = path.popLast() }
            do {
                if entry != nil {
                    try endInEntry(name, value)
                } else {
                    try endInStatement(name, value)
                }
            } catch {
                stop(error)
            }
        }

        private func within(_ names: String...) -> Bool {
            // `path` ends with the element being closed.
            var i = path.count - 2
            for name in names.reversed() {
                while i >= 0, path[i] != name { i -= 1 }
                if i < 0 { return false }
                i -= 1
            }
            return true
        }

        private func parent(_ n: Int = 1) -> String? {
            path.count > n ? path[path.count - 1 - n] : nil
        }

        private func endInStatement(_ name: String, _ value: String) throws {
            guard statement != nil else { return }
            switch name {
            case "Id" where parent() == "Stmt":
                statement?.statementID = value
            case "ElctrncSeqNb" where parent() == "Stmt":
                statement?.attributes["ElctrncSeqNb"] = value
            case "IBAN" where within("Stmt", "Acct", "Id"):
                account = value
            case "Id" where parent() == "Othr" && within("Stmt", "Acct", "Id") && !within("Svcr"):
                account = account ?? value
            case "Ccy" where parent() == "Acct":
                accountCurrency = value
            case "FrDtTm":
                statement?.periodStart = DateTimeParser.parse(value)?.timestamp(in: context.timeZone)
            case "ToDtTm":
                statement?.periodEnd = DateTimeParser.parse(value)?.timestamp(in: context.timeZone)
            case "Cd" where within("Bal", "Tp"):
                balanceCode = value
            case "Amt" where parent() == "Bal":
                balanceAmount = (value, attributes["Ccy"])
            case "CdtDbtInd" where parent() == "Bal":
                balanceIndicator = value
            case "Dt", "DtTm":
                if parent() == "Dt", parent(2) == "Bal" { balanceDate = value }
            case "Bal":
                try finishBalance()
            case "Stmt":
                guard var summary = statement else { return }
                summary.account = account
                if let currency = accountCurrency { summary.attributes["currency"] = currency }
                statement = nil
                outcome.recordCount += 1
                try onRecord(.summary(summary))
            default: break
            }
        }

        private func finishBalance() throws {
            guard let (text, currency) = balanceAmount, let code = balanceCode else { return }
            guard let amount = AmountParser.parse(text, style: .dot, allowGrouping: false) else {
                throw IngestError(.badValue, "is not an amount", file: context.fileName, line: parser?.lineNumber, column: "Bal/Amt", value: text)
            }
            var money = Money(amount, currency: currency ?? accountCurrency ?? context.options.currency)
            if balanceIndicator == "DBIT" { money = money.negated }
            switch code {
            case "OPBD", "PRCD":
                if statement?.openingBalance == nil { statement?.openingBalance = money }
            case "CLBD": statement?.closingBalance = money
            default: statement?.declaredTotals[code] = money.amount
            }
            if let balanceDate { statement?.attributes["\(code).date"] = balanceDate }
        }

        private func endInEntry(_ name: String, _ value: String) throws {
            let inTx = path.contains("TxDtls")
            let last = (entry?.transactions.count ?? 0) - 1
            func tx(_ update: (inout Transaction) -> Void) {
                guard inTx, last >= 0 else { return }
                update(&entry!.transactions[last])
            }
            switch name {
            case "NtryRef" where parent() == "Ntry": entry?.reference = value
            case "Amt" where parent() == "Ntry": entry?.amount = (value, attributes["Ccy"])
            case "CdtDbtInd" where parent() == "Ntry": entry?.indicator = value
            case "RvslInd" where parent() == "Ntry": entry?.reversal = value.lowercased() == "true" || value == "1"
            case "Sts" where parent() == "Ntry": if !value.isEmpty { entry?.status = value }
            case "Cd" where parent() == "Sts": entry?.status = value
            case "Dt", "DtTm":
                if parent() == "BookgDt" { entry?.booking = value }
                if parent() == "ValDt" { entry?.value = value }
            case "AcctSvcrRef" where parent() == "Ntry": entry?.servicerReference = value
            case "Cd" where within("Ntry", "BkTxCd") && !inTx: if !value.isEmpty { entry?.bankCode.append(value) }
            case "AddtlNtryInf" where parent() == "Ntry": entry?.additionalInfo = value
            case "EndToEndId": tx { $0.endToEndID = value == "NOTPROVIDED" ? nil : value }
            case "AcctSvcrRef" where parent() == "Refs": tx { $0.servicerReference = value }
            case "TxId", "InstrId", "MsgId", "PmtInfId":
                if parent() == "Refs" { tx { $0.otherReference = $0.otherReference ?? value } }
            case "Amt" where within("TxDtls", "AmtDtls", "TxAmt") || parent() == "TxDtls":
                tx { $0.amount = (value, attributes["Ccy"]) }
            case "Nm" where within("RltdPties", "Dbtr"), "Nm" where within("RltdPties", "UltmtDbtr"):
                tx { $0.debtorName = $0.debtorName ?? value }
            case "Nm" where within("RltdPties", "Cdtr"), "Nm" where within("RltdPties", "UltmtCdtr"):
                tx { $0.creditorName = $0.creditorName ?? value }
            case "IBAN" where within("DbtrAcct"), "Id" where within("DbtrAcct", "Othr"):
                tx { $0.debtorAccount = $0.debtorAccount ?? value }
            case "IBAN" where within("CdtrAcct"), "Id" where within("CdtrAcct", "Othr"):
                tx { $0.creditorAccount = $0.creditorAccount ?? value }
            case "Ustrd": tx { $0.remittance.append(value) }
            case "Ref" where within("Strd", "CdtrRefInf"): tx { $0.structuredReference = value }
            case "AddtlTxInf": tx { $0.additionalInfo = value }
            case "Ntry":
                let finished = entry
                entry = nil
                if let finished { try finishEntry(finished) }
            default: break
            }
        }

        private func finishEntry(_ entry: Entry) throws {
            outcome.rowCount += 1
            do {
                if let status = entry.status, status != "BOOK" {
                    skippedStatus += 1
                    return
                }
                let line = try bankLine(entry)
                outcome.recordCount += 1
                try onRecord(.bankLine(line))
            } catch let error as IngestError {
                guard context.options.skipBadRows else { throw error }
                outcome.rejectedCount += 1
                try onReject(RejectedRow(position: SourcePosition(line: entry.line), error: error,
                                         fields: [entry.reference, entry.amount?.text, entry.indicator].compactMap { $0 }))
            }
        }

        private func entryError(_ entry: Entry, _ column: String, _ value: String?, _ message: String) -> IngestError {
            IngestError(value == nil ? .missingValue : .badValue, message, file: context.fileName, line: entry.line,
                        column: column, value: value)
        }

        private func money(_ amount: (text: String, currency: String?), column: String, entry: Entry) throws -> Money {
            guard let value = AmountParser.parse(amount.text, style: .dot, allowGrouping: false), !value.isNegative else {
                throw entryError(entry, column, amount.text, "is not an amount")
            }
            return Money(value, currency: amount.currency ?? accountCurrency ?? context.options.currency)
        }

        private func date(_ text: String?, column: String, entry: Entry) throws -> LocalDate? {
            guard let text else { return nil }
            guard let parsed = DateTimeParser.parse(text) else { throw entryError(entry, column, text, "is not a date") }
            return parsed.date  // the bank's date as printed, also for DtTm with an offset
        }

        private func bankLine(_ entry: Entry) throws -> BankStatementLine {
            guard let amountText = entry.amount else {
                throw entryError(entry, "Ntry/Amt", nil, "is missing")
            }
            let amount = try money(amountText, column: "Ntry/Amt", entry: entry)
            let direction: Direction
            switch entry.indicator {
            case "CRDT": direction = .credit
            case "DBIT": direction = .debit
            default: throw entryError(entry, "Ntry/CdtDbtInd", entry.indicator, entry.indicator == nil ? "is missing" : "is not CRDT or DBIT")
            }
            var line = BankStatementLine(position: SourcePosition(line: entry.line), account: account ?? context.options.account ?? "",
                                         amount: direction == .credit ? amount : amount.negated, direction: direction,
                                         isReversal: entry.reversal)
            line.statementID = statement?.statementID
            line.bookingDate = try date(entry.booking, column: "Ntry/BookgDt", entry: entry)
            line.valueDate = try date(entry.value, column: "Ntry/ValDt", entry: entry)
            line.customerReference = entry.reference
            line.reference = entry.servicerReference
            line.transactionCode = entry.bankCode.isEmpty ? nil : entry.bankCode.joined(separator: "/")
            // The original movement's direction decides which party is the counterparty.
            let originalCredit = (direction == .credit) != entry.reversal
            func detail(_ tx: Transaction) throws -> BankTransactionDetail {
                var remittance = tx.remittance
                if let reference = tx.structuredReference { remittance.append(reference) }
                return BankTransactionDetail(
                    amount: try tx.amount.map { try money($0, column: "TxDtls/Amt", entry: entry) },
                    endToEndID: tx.endToEndID,
                    reference: tx.servicerReference ?? tx.otherReference,
                    counterpartyName: originalCredit ? tx.debtorName : tx.creditorName,
                    counterpartyAccount: originalCredit ? tx.debtorAccount : tx.creditorAccount,
                    remittance: remittance.isEmpty ? tx.additionalInfo : remittance.joined(separator: " "))
            }
            var memo: [String] = []
            if entry.transactions.count == 1 {
                let single = try detail(entry.transactions[0])
                line.endToEndID = single.endToEndID
                line.counterpartyName = single.counterpartyName
                line.counterpartyAccount = single.counterpartyAccount
                line.reference = line.reference ?? single.reference
                if let remittance = single.remittance { memo.append(remittance) }
            } else if entry.transactions.count > 1 {
                line.details = try entry.transactions.map(detail)
            }
            if let info = entry.additionalInfo, !memo.contains(info) { memo.append(info) }
            line.memo = memo.isEmpty ? nil : memo.joined(separator: " | ")
            return line
        }

        var skippedEntries: Int { skippedStatus }
    }

    /// Parses `parser`'s document.
    func run(_ parser: XMLParser, onRecord: RecordHandler, onReject: RejectHandler) throws -> TabularDriver.Outcome {
        try withoutActuallyEscaping(onRecord) { onRecord in
            try withoutActuallyEscaping(onReject) { onReject in
                let handler = Handler(context: context, onRecord: onRecord, onReject: onReject)
                parser.shouldProcessNamespaces = true
                parser.delegate = handler
                let ok = parser.parse()
                if let failure = handler.failure { throw failure }
                if !ok {
                    let reason = parser.parserError.map { "\($0)" } ?? "unknown error"
                    throw IngestError(.structure, "is not well-formed XML near line \(parser.lineNumber): \(reason)", file: context.fileName)
                }
                guard handler.sawDocument else {
                    throw IngestError(.unknownFormat, "is not a camt.053 statement: no BkToCstmrStmt element", file: context.fileName)
                }
                if handler.skippedEntries > 0 {
                    context.warn("\(context.fileName ?? "file"): \(handler.skippedEntries) entries with a status other than BOOK were skipped")
                }
                return handler.outcome
            }
        }
    }
}
