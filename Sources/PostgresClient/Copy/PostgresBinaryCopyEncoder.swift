import Foundation

/// Builds `COPY ... FROM STDIN (FORMAT binary)` data: no text escaping and no number
/// formatting on either side, which is what makes bulk loads fast.
///
/// Call ``beginRow(fieldCount:)``, then one `append` per field in table column order; take
/// ``bytes`` whenever convenient (for example every few thousand rows) and hand them to a
/// ``PostgresCopyWriter``; call ``finish()`` once at the end.
public struct PostgresBinaryCopyEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []
    private static let postgresEpoch: Int64 = 946_684_800  // 2000-01-01 in Unix seconds

    public init() {
        bytes.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        appendBigEndian(Int32(0))  // flags
        appendBigEndian(Int32(0))  // header extension length
    }

    /// Removes and returns the bytes encoded so far.
    public mutating func take() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    public mutating func beginRow(fieldCount: Int) { appendBigEndian(Int16(fieldCount)) }

    public mutating func appendNull() { appendBigEndian(Int32(-1)) }

    /// `bigint`.
    public mutating func append(_ value: Int64) {
        appendBigEndian(Int32(8))
        appendBigEndian(value)
    }

    /// `integer`.
    public mutating func append(_ value: Int32) {
        appendBigEndian(Int32(4))
        appendBigEndian(value)
    }

    /// `smallint`.
    public mutating func append(_ value: Int16) {
        appendBigEndian(Int32(2))
        appendBigEndian(value)
    }

    public mutating func append(_ value: Bool) {
        appendBigEndian(Int32(1))
        bytes.append(value ? 1 : 0)
    }

    /// `text`/`varchar`: UTF-8 bytes with their byte length.
    public mutating func append(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            appendBigEndian(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// `timestamptz`: microseconds since 2000-01-01 UTC.
    public mutating func append(_ value: Date) {
        appendBigEndian(Int32(8))
        let micros = Int64((value.timeIntervalSince1970 * 1_000_000).rounded()) - Self.postgresEpoch * 1_000_000
        appendBigEndian(micros)
    }

    /// `timestamptz` given as microseconds since the Unix epoch, without going through `Date`.
    public mutating func appendTimestamp(unixMicroseconds: Int64) {
        appendBigEndian(Int32(8))
        appendBigEndian(unixMicroseconds - Self.postgresEpoch * 1_000_000)
    }

    /// `date`: days since 2000-01-01.
    public mutating func appendDate(daysSinceUnixEpoch days: Int32) {
        appendBigEndian(Int32(4))
        appendBigEndian(days - 10_957)
    }

    /// Writes the trailer; append nothing after it.
    public mutating func finish() { appendBigEndian(Int16(-1)) }

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
