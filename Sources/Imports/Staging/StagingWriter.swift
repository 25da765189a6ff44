import Ingest
import PostgresClient

/// Streams parsed records into the staging tables: one binary COPY buffer per record kind,
/// flushed as its own `COPY` statement whenever it reaches ``flushBytes``. Memory stays bounded
/// by a buffer per kind, whatever the size of the file.
struct StagingWriter {
    var flushBytes = 1 << 20
    private var buffers: [RecordKind: PostgresBinaryCopyEncoder] = [:]
    private(set) var counts: [RecordKind: Int] = [:]
    private var created: Set<RecordKind> = []
    private var seq: Int64 = 0

    /// The kinds that received at least one record (their staging tables exist).
    var kinds: [RecordKind] { RecordKind.allCases.filter { created.contains($0) } }

    mutating func add(_ record: ParsedRecord, on tx: isolated PostgresConnection) throws {
        guard let kind = Self.kind(of: record) else { return }
        if !created.contains(kind) {
            try tx.query(kind.createStatement)
            created.insert(kind)
        }
        seq += 1
        // Taken out of the dictionary, so that appending does not copy the whole buffer (a
        // second reference would make every append copy up to `flushBytes` first).
        var encoder = buffers.removeValue(forKey: kind) ?? PostgresBinaryCopyEncoder()
        switch record {
        case .order(let order):
            if order.lines.isEmpty {
                Self.encode(order, line: nil, lineNo: nil, seq: seq, into: &encoder)
            } else {
                for (n, line) in order.lines.enumerated() {
                    Self.encode(order, line: line, lineNo: n + 1, seq: seq, into: &encoder)
                }
            }
        case .transaction(let t): Self.encode(t, seq: seq, into: &encoder)
        case .payout(let p): Self.encode(p, seq: seq, into: &encoder)
        case .bankLine(let b): Self.encode(b, seq: seq, into: &encoder)
        case .courierLine(let c): Self.encode(c, seq: seq, into: &encoder)
        case .returnRecord(let r): Self.encode(r, seq: seq, into: &encoder)
        case .skuCost(let s): Self.encode(s, seq: seq, into: &encoder)
        case .summary: break
        }
        counts[kind, default: 0] += 1
        if encoder.bytes.count >= flushBytes {
            try send(&encoder, kind, on: tx)
        } else {
            buffers[kind] = encoder
        }
    }

    /// Sends everything still buffered.
    mutating func flushAll(on tx: isolated PostgresConnection) throws {
        for kind in RecordKind.allCases {
            if var encoder = buffers.removeValue(forKey: kind) { try send(&encoder, kind, on: tx) }
        }
    }

    private func send(_ encoder: inout PostgresBinaryCopyEncoder, _ kind: RecordKind, on tx: isolated PostgresConnection) throws {
        encoder.finish()
        let bytes = encoder.bytes
        try tx.copyIn("COPY " + kind.stagingTable + " FROM STDIN (FORMAT binary)") { writer in
            try writer.write(bytes)
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

    private static func encode(_ o: OrderRecord, line: OrderLine?, lineNo: Int?, seq: Int64, into e: inout PostgresBinaryCopyEncoder) {
        e.beginRow(fieldCount: 38)
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
        e.field(lineNo)
        e.field(line?.sku)
        e.field(line?.productID)
        e.field(line?.subOrderNumber)
        e.field(line?.title)
        e.field(line?.variant)
        e.field(line?.quantity)
        e.field(line?.unitPrice)
        e.field(line?.lineAmount)
    }

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
