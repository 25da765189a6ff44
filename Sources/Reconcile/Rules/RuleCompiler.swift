import PostgresClient

/// A value bound to a `$n` parameter of a compiled rule. Kept as an enum (not an opaque
/// ``PostgresEncodable``) so tests can read what a rule binds.
public enum RuleBind: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case decimal(String)
    case bool(Bool)
    case texts([String])
    case integers([Int64])
    case decimals([String])

    /// What the connection sends.
    public var encodable: any PostgresEncodable {
        switch self {
        case .text(let v), .decimal(let v): v
        case .integer(let v): v
        case .bool(let v): v
        case .texts(let v), .decimals(let v): v
        case .integers(let v): v
        }
    }
}

/// A condition compiled to SQL: a boolean expression over the columns of a record type's
/// source query (aliased `src`) whose every constant is a `$n` parameter.
public struct CompiledPredicate: Sendable, Hashable {
    /// The expression, e.g. `(coalesce(src.f_amount > $6::bigint, false) AND ...)`.
    public var sql: String
    /// The values of `$firstParameter`, `$firstParameter + 1`, ….
    public var binds: [RuleBind]
    /// The fields the expression reads, so the source query can leave out costly ones.
    public var fields: Set<String>
}

/// Turns a ``RuleCondition`` into a ``CompiledPredicate``. Field names come from the whitelist
/// in ``RuleField`` (the stored tree is checked again, it could have been edited in the
/// database); values only ever travel as parameters.
public enum RuleCompiler {
    public static func compile(_ condition: RuleCondition, for type: RecordType, firstParameter: Int) throws -> CompiledPredicate {
        var binds: [RuleBind] = []
        var fields: Set<String> = []
        func parameter(_ bind: RuleBind, cast: String) -> String {
            binds.append(bind)
            return "$\(firstParameter + binds.count - 1)::" + cast
        }
        func field(_ name: String) throws -> RuleField {
            guard let field = RuleField.lookup(name, in: type) else {
                throw ReconcileError(.invalidInput, "the stored rule names '\(name)', which \(type) records do not have",
                                     hint: "remove the rule and add it again with a valid condition")
            }
            fields.insert(field.name)
            return field
        }
        func mismatch(_ field: RuleField, _ value: RuleValue) -> ReconcileError {
            ReconcileError(.invalidInput, "the stored rule compares \(field.name) with \(value), which is not a \(field.kind.rawValue) value",
                           hint: "remove the rule and add it again")
        }
        /// The SQL type and bind of a scalar value for `field`.
        func scalar(_ field: RuleField, _ value: RuleValue) throws -> (RuleBind, String) {
            switch (field.kind, value) {
            case (.money, .integer(let v)), (.integer, .integer(let v)), (.weight, .integer(let v)): return (.integer(v), "bigint")
            case (.decimal, .decimal(let v)): return (.decimal(v), "numeric")
            case (.decimal, .integer(let v)): return (.decimal(String(v)), "numeric")
            case (.text, .text(let v)), (.textSet, .text(let v)): return (.text(v), "text")
            case (.bool, .bool(let v)): return (.bool(v), "boolean")
            default: throw mismatch(field, value)
            }
        }
        func list(_ field: RuleField, _ values: [RuleValue]) throws -> (RuleBind, String) {
            let items = try values.map { try scalar(field, $0).0 }
            switch field.kind {
            case .money, .integer, .weight:
                return (.integers(items.compactMap { if case .integer(let v) = $0 { v } else { nil } }), "bigint[]")
            case .decimal:
                return (.decimals(items.compactMap { if case .decimal(let v) = $0 { v } else { nil } }), "numeric[]")
            case .text, .textSet:
                return (.texts(items.compactMap { if case .text(let v) = $0 { v } else { nil } }), "text[]")
            case .bool:
                throw mismatch(field, values.first ?? .bool(false))
            }
        }
        func emit(_ node: RuleCondition) throws -> String {
            switch node {
            case .and(let items):
                guard !items.isEmpty else { return "true" }
                return "(" + (try items.map(emit)).joined(separator: " AND ") + ")"
            case .or(let items):
                guard !items.isEmpty else { return "false" }
                return "(" + (try items.map(emit)).joined(separator: " OR ") + ")"
            case .not(let item):
                return "(NOT " + (try emit(item)) + ")"
            case .compare(let name, let op, let value):
                let f = try field(name)
                let column = "src." + f.column
                if f.kind == .textSet {
                    guard !op.isOrdering else { throw mismatch(f, value) }
                    let (bind, cast) = try scalar(f, value)
                    let any = parameter(bind, cast: cast) + " = ANY (" + column + ")"
                    return op == .equal ? "coalesce(\(any), false)" : "coalesce(NOT (\(any)), false)"
                }
                if op.isOrdering && !f.allowsOrdering { throw mismatch(f, value) }
                let (bind, cast) = try scalar(f, value)
                return "coalesce(\(column) \(op.rawValue == "!=" ? "<>" : op.rawValue) \(parameter(bind, cast: cast)), false)"
            case .member(let name, let values, let negated):
                let f = try field(name)
                let column = "src." + f.column
                guard !values.isEmpty else { return negated ? "true" : "false" }
                let (bind, cast) = try list(f, values)
                let test = f.kind == .textSet
                    ? column + " && " + parameter(bind, cast: cast)
                    : column + " = ANY (" + parameter(bind, cast: cast) + ")"
                return negated ? "coalesce(NOT (\(test)), false)" : "coalesce(\(test), false)"
            }
        }
        let sql = try emit(condition)
        return CompiledPredicate(sql: sql, binds: binds, fields: fields)
    }
}
