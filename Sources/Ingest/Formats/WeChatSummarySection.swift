/// The summary part at the end of WeChat Pay bills: a header row (`总交易单数,应结订单总金额,…`,
/// `资金流水总笔数,收入笔数,…`) and one row of values.
struct WeChatSummarySection {
    let firstColumn: String
    let countColumn: String
    private var labels: [String]?
    var summary: StatementSummary
    var rowsParsed = 0

    init(format: FileFormat, firstColumn: String, countColumn: String, line: Int) {
        self.firstColumn = HeaderName.normalize(firstColumn)
        self.countColumn = countColumn
        summary = StatementSummary(position: SourcePosition(line: line), format: format)
    }

    func isStart(_ row: Row) -> Bool {
        row.fields.first.map(HeaderName.normalize) == firstColumn
    }

    mutating func add(_ row: Row, context: ParseContext) {
        guard !row.isBlank else { return }
        guard let labels else {
            labels = row.fields
            summary.position = SourcePosition(line: row.line)
            return
        }
        for (label, value) in zip(labels, row.fields) where !label.isEmpty {
            if let amount = AmountParser.parse(value) {
                summary.declaredTotals[label] = amount
                if HeaderName.normalize(label) == HeaderName.normalize(countColumn), amount.normalized.scale == 0 {
                    summary.declaredCount = Int(exactly: amount.normalized.units)
                }
            }
        }
        self.labels = []
    }

    func finish(context: ParseContext, emit: RecordHandler) throws {
        if let declared = summary.declaredCount, declared != rowsParsed {
            context.warn("\(context.fileName ?? "file"): the summary declares \(declared) rows but \(rowsParsed) were parsed")
        }
        try emit(.summary(summary))
    }
}
