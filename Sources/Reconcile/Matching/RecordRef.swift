/// A record as people name it on the command line: `order:1001` (by its reference: order number,
/// transaction number, payout reference, bank reference, return number or waybill) or `order#42`
/// (by its id, as listings show it).
public struct RecordRef: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Key: Sendable, Hashable, Codable {
        case reference(String)
        case id(Int64)
    }

    public var type: RecordType
    public var key: Key

    public init(type: RecordType, key: Key) {
        self.type = type
        self.key = key
    }

    public init(parsing text: String) throws {
        let separator = text.firstIndex(where: { $0 == ":" || $0 == "#" })
        guard let separator, let type = RecordType(rawValue: String(text[..<separator]).lowercased()) else {
            throw ReconcileError(.invalidInput, "'\(text)' does not name a record",
                                 hint: "write TYPE:REFERENCE or TYPE#ID with TYPE one of "
                                     + RecordType.allCases.map(\.rawValue).joined(separator: ", ") + " (e.g. order:1001, transaction#17)")
        }
        let rest = String(text[text.index(after: separator)...]).trimmingCharacters(in: .whitespaces)
        guard !rest.isEmpty else { throw ReconcileError(.invalidInput, "'\(text)' has no reference after the type") }
        if text[separator] == "#" {
            guard let id = Int64(rest) else { throw ReconcileError(.invalidInput, "'\(rest)' in '\(text)' is not a record id") }
            self.init(type: type, key: .id(id))
        } else {
            self.init(type: type, key: .reference(rest))
        }
    }

    public var description: String {
        switch key {
        case .reference(let reference): "\(type.rawValue):\(reference)"
        case .id(let id): "\(type.rawValue)#\(id)"
        }
    }
}
