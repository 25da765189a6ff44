import Foundation

/// The `#…` preamble and trailer of Alipay bills: account, period, declared totals.
struct AlipayBillFrame {
    var summary: StatementSummary
    var rowsParsed = 0

    init(format: FileFormat, preamble: [Row], header: HeaderMap, context: ParseContext) {
        summary = StatementSummary(position: SourcePosition(line: preamble.first?.line ?? header.line), format: format)
        for row in preamble {
            let text = BillText.line(row)
            let values = BillText.bracketed(text)
            if text.contains("账号"), let account = values.first {
                summary.account = account
            } else if text.contains("起始日期") {
                if let start = values.first.flatMap({ DateTimeParser.parse($0) }) {
                    summary.periodStart = start.timestamp(in: context.timeZone)
                }
                if values.count > 1, let end = DateTimeParser.parse(values[1]) {
                    summary.periodEnd = end.timestamp(in: context.timeZone)
                }
            } else if text.hasPrefix("#"), !text.contains("---") {
                summary.attributes["title"] = text.trimmingCharacters(in: CharacterSet(charactersIn: "#"))
            }
        }
    }

    /// Reads `#交易合计：6笔，商家实收共0.06元…`, `#导出时间：[…]`.
    mutating func trailer(_ row: Row) {
        let text = BillText.line(row)
        guard text.hasPrefix("#"), !text.contains("----") else { return }
        if text.contains("导出时间") {
            if let value = BillText.bracketed(text).first { summary.attributes["导出时间"] = value }
            return
        }
        guard let parsed = BillText.summary(text) else { return }
        if let count = parsed.count {
            summary.declaredCount = (summary.declaredCount ?? 0) + count
            summary.declaredTotals[parsed.label + ".笔数"] = ExactAmount(Int64(count))
        }
        for (label, amount) in parsed.amounts {
            summary.declaredTotals[label] = amount
        }
    }

    func finish(context: ParseContext, emit: RecordHandler) throws {
        if let declared = summary.declaredCount, declared != rowsParsed {
            context.warn("\(context.fileName ?? "file"): the trailer declares \(declared) rows but \(rowsParsed) were parsed")
        }
        try emit(.summary(summary))
    }
}
