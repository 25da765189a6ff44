/// Normalization of column header names so that spelling variants match.
///
/// `订单付款时间 ` = `订单付款时间`; `收入金额（+元）` = `收入金额(+元)` = `收入金额`;
/// `动帐流水号` = `动账流水号`; `Transaction Date` = `transaction-date` = `transaction_date`;
/// `\u{FEFF}主订单编号` = `主订单编号`.
public enum HeaderName {
    /// The comparable form of a header name: full-width ASCII folded to half-width, ideographic
    /// space and NBSP treated as spaces, BOM/backticks/quotes removed, ASCII lower-cased, spaces
    /// TABs `-` `_` `/` `.` removed, one trailing parenthesized unit removed (`(元)`, `（+元）`,
    /// `(件)`), and 帐 read as 账.
    public static func normalize(_ name: String) -> String {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(name.unicodeScalars.count)
        for scalar in name.unicodeScalars {
            var v = scalar.value
            if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 }
            switch v {
            case 0xFEFF, 0x60, 0x22, 0x27, 0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x3000, 0x2D, 0x5F, 0x2F, 0x2E:
                continue
            case 0x41...0x5A:
                v += 0x20
            case 0x5E10:  // 帐 → 账
                v = 0x8D26
            case 0x3010: v = 0x5B  // 【 → [
            case 0x3011: v = 0x5D  // 】 → ]
            default:
                break
            }
            if let s = Unicode.Scalar(v) { scalars.append(s) }
        }
        // Drop one trailing "(...)" group: units and notes.
        if scalars.last == ")", let open = scalars.lastIndex(of: "("), open > 0 {
            scalars.removeSubrange(open...)
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }
}

/// A column a parser reads: a key, the header spellings that name it, and whether the file is
/// unusable without it.
public struct ColumnSpec: Sendable, Hashable {
    /// The parser's name for the column.
    public var key: String
    /// Accepted header names in their printed form (the first is the canonical one).
    public var names: [String]
    public var required: Bool
    /// ``names`` normalized with ``HeaderName/normalize(_:)``.
    public let normalizedNames: [String]

    public init(_ key: String, _ names: [String], required: Bool = false) {
        self.key = key
        self.names = names
        self.required = required
        self.normalizedNames = names.map(HeaderName.normalize)
    }

    /// A column named exactly `name` (plus variants after normalization).
    public static func required(_ key: String, _ names: String...) -> ColumnSpec { ColumnSpec(key, names, required: true) }
    public static func optional(_ key: String, _ names: String...) -> ColumnSpec { ColumnSpec(key, names, required: false) }
}

/// The columns of one header row matched against a parser's ``ColumnSpec``s, by name.
public struct HeaderMap: Sendable {
    /// The header row as printed.
    public let names: [String]
    /// The header's line in the file.
    public let line: Int
    private var indexes: [String: Int] = [:]
    /// Required columns that are absent.
    public private(set) var missing: [ColumnSpec] = []
    /// Number of specs (required or optional) found.
    public private(set) var matchedCount = 0

    /// Matches `header` against `specs`. Earlier spellings of a spec win; a column is used for one
    /// key only, so two specs never read the same column.
    public init(header: [String], line: Int = 0, specs: [ColumnSpec]) {
        self.names = header
        self.line = line
        let normalized = header.map(HeaderName.normalize)
        var firstIndex: [String: Int] = [:]
        for (i, name) in normalized.enumerated() where !name.isEmpty && firstIndex[name] == nil {
            firstIndex[name] = i
        }
        var used = Set<Int>()
        for spec in specs {
            var found: Int?
            for name in spec.normalizedNames {
                if let i = firstIndex[name], !used.contains(i) {
                    found = i
                    break
                }
            }
            if let found {
                indexes[spec.key] = found
                used.insert(found)
                matchedCount += 1
            } else if spec.required {
                missing.append(spec)
            }
        }
    }

    /// `true` when every required column is present.
    public var isComplete: Bool { missing.isEmpty }

    /// The column index for `key`, if present.
    public func index(_ key: String) -> Int? { indexes[key] }

    /// `true` if the file has the column.
    public func has(_ key: String) -> Bool { indexes[key] != nil }

    /// The column's name as printed in the file (for messages), or `key`.
    public func printedName(_ key: String) -> String {
        guard let i = indexes[key], i < names.count else { return key }
        return names[i]
    }

    /// Highest column index any matched key uses.
    public var maxIndex: Int { indexes.values.max() ?? -1 }

    /// Highest column index of a required key.
    func maxRequiredIndex(_ specs: [ColumnSpec]) -> Int {
        specs.filter(\.required).compactMap { indexes[$0.key] }.max() ?? -1
    }
}
