import Ingest
import PostgresClient

/// Where staged rows go: the staging table of a record kind, or the further lines of orders.
enum StagingTarget: Hashable, Sendable {
    case records(RecordKind)
    case orderLines

    var createStatement: String {
        switch self {
        case .records(let kind): kind.createStatement
        case .orderLines: StagingTables.orderLines
        }
    }

    var copyStatement: String {
        switch self {
        case .records(let kind): "COPY " + kind.copyTarget + " FROM STDIN (FORMAT binary)"
        case .orderLines: "COPY stage_order_lines FROM STDIN (FORMAT binary)"
        }
    }
}

/// Binary COPY data for one staging table, complete (header, rows, trailer): one `COPY`.
struct StagingChunk: Sendable {
    var target: StagingTarget
    var bytes: [UInt8]
}

/// What the merge of orders needs to know about the staged order records, so that it skips
/// the steps that have nothing to do.
struct OrderStaging: Sendable, Equatable {
    /// Rows of `stage_orders` (one per order record).
    var records = 0
    /// Records that are not continuations.
    var heads = 0
    var continuations = 0
    /// Records (not continuations) whose order number may have come before in the file.
    var possibleRepeats = 0
    /// Rows of `stage_order_lines` (second and further lines of a record).
    var extraLines = 0
}

/// Turns parsed records into binary COPY data for the staging tables: one buffer per table,
/// handed out as a ``StagingChunk`` whenever it reaches ``flushBytes``. Pure (no database), so
/// it runs on the parsing thread; memory stays bounded by a buffer per table, plus 8 bytes per
/// order to recognise repeated order numbers.
struct StagingEncoder {
    var flushBytes = 1 << 20
    private var buffers: [StagingTarget: PostgresBinaryCopyEncoder] = [:]
    private(set) var kinds: Set<RecordKind> = []
    private(set) var orders = OrderStaging()
    /// Hashes of the order numbers of the records so far that are not continuations.
    private var orderNumbers = Set<Int>()
    private var seq: Int64 = 0

    mutating func add(_ record: ParsedRecord, emit: (StagingChunk) throws -> Void) rethrows {
        guard let kind = Self.kind(of: record) else { return }
        kinds.insert(kind)
        seq += 1
        let seq = seq
        switch record {
        case .order(let order):
            var maybeRepeat = false
            if order.isContinuation {
                orders.continuations += 1
            } else {
                orders.heads += 1
                maybeRepeat = !orderNumbers.insert(order.orderNumber.hashValue).inserted
                if maybeRepeat { orders.possibleRepeats += 1 }
            }
            orders.records += 1
            try append(to: .records(.orders), emit: emit) { Self.encode(order, maybeRepeat: maybeRepeat, seq: seq, into: &$0) }
            for (n, line) in order.lines.enumerated().dropFirst() {
                orders.extraLines += 1
                try append(to: .orderLines, emit: emit) { Self.encode(line, lineNo: n + 1, seq: seq, into: &$0) }
            }
        case .transaction(let t): try append(to: .records(kind), emit: emit) { Self.encode(t, seq: seq, into: &$0) }
        case .payout(let p): try append(to: .records(kind), emit: emit) { Self.encode(p, seq: seq, into: &$0) }
        case .bankLine(let b): try append(to: .records(kind), emit: emit) { Self.encode(b, seq: seq, into: &$0) }
        case .courierLine(let c): try append(to: .records(kind), emit: emit) { Self.encode(c, seq: seq, into: &$0) }
        case .returnRecord(let r): try append(to: .records(kind), emit: emit) { Self.encode(r, seq: seq, into: &$0) }
        case .skuCost(let s): try append(to: .records(kind), emit: emit) { Self.encode(s, seq: seq, into: &$0) }
        case .summary: break
        }
    }

    /// Hands out everything still buffered.
    mutating func finish(emit: (StagingChunk) throws -> Void) rethrows {
        for target in RecordKind.allCases.map(StagingTarget.records) + [.orderLines] {
            if var encoder = buffers.removeValue(forKey: target) {
                encoder.finish()
                try emit(StagingChunk(target: target, bytes: encoder.bytes))
            }
        }
    }

    private mutating func append(to target: StagingTarget, emit: (StagingChunk) throws -> Void,
                                 _ row: (inout PostgresBinaryCopyEncoder) -> Void) rethrows {
        // Taken out of the dictionary, so that appending does not copy the whole buffer (a
        // second reference would make every append copy up to `flushBytes` first).
        var encoder = buffers.removeValue(forKey: target) ?? PostgresBinaryCopyEncoder()
        row(&encoder)
        if encoder.bytes.count >= flushBytes {
            encoder.finish()
            try emit(StagingChunk(target: target, bytes: encoder.bytes))
        } else {
            buffers[target] = encoder
        }
    }

    static func kind(of record: ParsedRecord) -> RecordKind? {
        switch record {
        case .order: .orders
        case .transaction: .transactions
        case .payout: .payouts
        case .bankLine: .bankLines
        case .courierLine: .courierLines
        case .returnRecord: .returns
        case .skuCost: .skuCosts
        case .summary: nil
        }
    }

    // MARK: - Rows, in the staging tables' column order

    private static func encode(_ o: OrderRecord, maybeRepeat: Bool, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 39)
        e.field(seq)
        e.field(o.position.line)
        e.field(o.orderNumber)
        e.field(o.channel.rawValue)
        e.field(o.status.rawValue)
        e.field(o.statusRaw)
        e.field(o.createdAt)
        e.field(o.paidAt)
        e.field(o.shippedAt)
        e.field(o.completedAt)
        e.field(o.refundStatus)
        e.field(o.waybillNumber)
        e.field(o.courier)
        e.field(o.currency)
        e.field(o.goodsAmount)
        e.field(o.orderAmount)
        e.field(o.paidAmount)
        e.field(o.discount)
        e.field(o.platformDiscount)
        e.field(o.shipping)
        e.field(o.merchantReceivable)
        e.field(o.fees)
        e.field(o.refundAmount)
        e.field(o.buyerID)
        e.field(o.buyerPaymentAccount)
        e.field(o.contact.name)
        e.field(o.contact.phone)
        e.field(o.contact.address)
        e.field(o.isContinuation)
        e.field(maybeRepeat)
        e.field(o.lines.count)
        let line = o.lines.first
        e.field(line?.sku)
        e.field(line?.productID)
        e.field(line?.subOrderNumber)
        e.field(line?.title)
        e.field(line?.variant)
        e.field(line?.quantity)
        e.field(line?.unitPrice)
        e.field(line?.lineAmount)
    }

    /// A second or further line of an order record.
    private static func encode(_ line: OrderLine, lineNo: Int, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 10)
        e.field(seq)
        e.field(lineNo)
        e.field(line.sku)
        e.field(line.productID)
        e.field(line.subOrderNumber)
        e.field(line.title)
        e.field(line.variant)
        e.field(line.quantity)
        e.field(line.unitPrice)
        e.field(line.lineAmount)
    }

    // MARK: - Rows, in the staging tables' column order

    private static func encode(_ t: PlatformTransaction, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 20)
        e.field(seq)
        e.field(t.position.line)
        e.field(t.provider.rawValue)
        e.field(t.transactionID)
        e.field(t.orderReference)
        e.field(t.relatedTransactionID)
        e.field(t.type.rawValue)
        e.field(t.typeRaw)
        e.field(t.currency)
        e.field(t.gross)
        e.field(t.fee)
        e.exact(t.fee)
        e.field(t.net)
        e.field(t.feeRatePercent?.description)
        e.field(t.occurredAt)
        e.field(t.counterparty)
        e.field(t.memo)
        e.field(t.balance)
        e.field(t.payoutID)
        e.field(t.status)
    }

    private static func encode(_ p: PayoutRecord, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 10)
        e.field(seq)
        e.field(p.position.line)
        e.field(p.provider.rawValue)
        e.field(p.payoutID)
        e.field(p.amount.currency)
        e.field(p.amount)
        e.field(p.payoutDate)
        e.field(p.status)
        e.field(p.periodStart)
        e.field(p.periodEnd)
    }

    private static func encode(_ b: BankStatementLine, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 19)
        e.field(seq)
        e.field(b.position.line)
        e.field(b.account)
        e.field(b.statementID)
        e.field(b.bookingDate)
        e.field(b.valueDate)
        e.field(b.amount.currency)
        e.field(b.amount)
        e.exact(b.amount)
        e.field(b.direction.rawValue)
        e.field(b.isReversal)
        e.field(b.counterpartyName)
        e.field(b.counterpartyAccount)
        e.field(b.reference)
        e.field(b.customerReference)
        e.field(b.endToEndID)
        e.field(b.memo)
        e.field(b.balance)
        e.field(b.transactionCode)
    }

    private static func encode(_ c: CourierBillLine, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 15)
        e.field(seq)
        e.field(c.position.line)
        e.field(c.courier)
        e.field(c.waybill)
        e.field(c.reference)
        e.field(c.shipDate)
        e.field(c.origin)
        e.field(c.destination)
        e.field(c.zone)
        e.field(c.billedWeightGrams)
        e.field(c.amountDue.currency)
        e.field(c.fee)
        e.field(c.discount)
        e.field(c.amountDue)
        e.field(c.memo)
    }

    private static func encode(_ r: ReturnRecord, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 13)
        e.field(seq)
        e.field(r.position.line)
        e.field(r.channel.rawValue)
        e.field(r.returnNumber)
        e.field(r.orderNumber)
        e.field(r.waybill)
        e.field(r.sku)
        e.field(r.quantity)
        e.field(r.refundAmount?.currency ?? "CNY")
        e.field(r.refundAmount)
        e.field(r.receivedStatus)
        e.field(r.received)
        e.field(r.createdAt)
    }

    private static func encode(_ s: SKUCost, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 7)
        e.field(seq)
        e.field(s.position.line)
        e.field(s.sku)
        e.field(s.effectiveFrom)
        e.field(s.unitCost.currency)
        e.field(s.unitCost)
        e.field(s.title)
    }
}
