/// The parsed form of a rule's condition, stored as JSON in `recon_rules.condition_ast` and
/// compiled to a parameterized SQL predicate by ``RuleCompiler``. Values are already typed and
/// converted (amounts in minor units, weights in grams), so compiling needs no re-parsing.
///
/// JSON shape: `{"op": "and", "args": [...]}`, `{"op": "not", "arg": {...}}`,
/// `{"op": ">", "field": "amount", "value": {"int": 1000000}}`,
/// `{"op": "in", "field": "store", "values": [{"text": "tmall"}], "negated": false}`.
public indirect enum RuleCondition: Sendable, Hashable, Codable {
    case and([RuleCondition])
    case or([RuleCondition])
    case not(RuleCondition)
    case compare(field: String, op: RuleOperator, value: RuleValue)
    case member(field: String, values: [RuleValue], negated: Bool)

    /// Parses `text` for records of `type`; see ``RuleParser``.
    public static func parse(_ text: String, for type: RecordType) throws -> RuleCondition {
        var parser = RuleParser(text: text, recordType: type)
        return try parser.parse()
    }

    /// The field names the condition uses.
    public var fields: Set<String> {
        switch self {
        case .and(let items), .or(let items): items.reduce(into: []) { $0.formUnion($1.fields) }
        case .not(let item): item.fields
        case .compare(let field, _, _), .member(let field, _, _): [field]
        }
    }

    private enum CodingKeys: String, CodingKey { case op, args, arg, field, value, values, negated }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let op = try container.decode(String.self, forKey: .op)
        switch op {
        case "and": self = .and(try container.decode([RuleCondition].self, forKey: .args))
        case "or": self = .or(try container.decode([RuleCondition].self, forKey: .args))
        case "not": self = .not(try container.decode(RuleCondition.self, forKey: .arg))
        case "in":
            self = .member(field: try container.decode(String.self, forKey: .field),
                           values: try container.decode([RuleValue].self, forKey: .values),
                           negated: try container.decodeIfPresent(Bool.self, forKey: .negated) ?? false)
        default:
            guard let comparison = RuleOperator(rawValue: op) else {
                throw DecodingError.dataCorruptedError(forKey: .op, in: container, debugDescription: "unknown operator \(op)")
            }
            self = .compare(field: try container.decode(String.self, forKey: .field), op: comparison,
                            value: try container.decode(RuleValue.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .and(let items):
            try container.encode("and", forKey: .op)
            try container.encode(items, forKey: .args)
        case .or(let items):
            try container.encode("or", forKey: .op)
            try container.encode(items, forKey: .args)
        case .not(let item):
            try container.encode("not", forKey: .op)
            try container.encode(item, forKey: .arg)
        case .compare(let field, let op, let value):
            try container.encode(op.rawValue, forKey: .op)
            try container.encode(field, forKey: .field)
            try container.encode(value, forKey: .value)
        case .member(let field, let values, let negated):
            try container.encode("in", forKey: .op)
            try container.encode(field, forKey: .field)
            try container.encode(values, forKey: .values)
            try container.encode(negated, forKey: .negated)
        }
    }
}

/// A comparison operator of the condition language.
public enum RuleOperator: String, Sendable, Hashable, Codable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    var isOrdering: Bool { self != .equal && self != .notEqual }
}

/// A typed constant of a condition. Money, quantities, days and grams are integers; fee rates
/// are exact decimals kept as text (never a binary floating point number).
public enum RuleValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case text(String)
    case integer(Int64)
    case decimal(String)
    case bool(Bool)

    private enum CodingKeys: String, CodingKey { case text, int, dec, bool }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let value = try container.decodeIfPresent(String.self, forKey: .text) { self = .text(value) }
        else if let value = try container.decodeIfPresent(Int64.self, forKey: .int) { self = .integer(value) }
        else if let value = try container.decodeIfPresent(String.self, forKey: .dec) { self = .decimal(value) }
        else if let value = try container.decodeIfPresent(Bool.self, forKey: .bool) { self = .bool(value) }
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a rule value needs text, int, dec or bool"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let value): try container.encode(value, forKey: .text)
        case .integer(let value): try container.encode(value, forKey: .int)
        case .decimal(let value): try container.encode(value, forKey: .dec)
        case .bool(let value): try container.encode(value, forKey: .bool)
        }
    }

    public var description: String {
        switch self {
        case .text(let value): "\"\(value)\""
        case .integer(let value): String(value)
        case .decimal(let value): value
        case .bool(let value): String(value)
        }
    }
}
