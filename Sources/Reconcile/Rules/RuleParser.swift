import Foundation

/// A recursive-descent parser for rule conditions, checking every field against the record
/// type's whitelist (``RuleField``) and converting values to what the field stores.
///
/// Grammar (keywords in any case):
/// ```
/// condition  := or
/// or         := and ("or" and)*
/// and        := not ("and" not)*
/// not        := "not" not | primary
/// primary    := "(" condition ")" | FIELD OP value | FIELD ["not"] "in" "(" value ("," value)* ")"
/// OP         := = | == | != | <> | < | <= | > | >=
/// value      := NUMBER | NUMBER% | "string" | 'string' | word
/// ```
/// `not` binds tighter than `and`, which binds tighter than `or`:
/// `a = 1 or b = 2 and not c = 3` reads `a = 1 or (b = 2 and (not c = 3))`.
public struct RuleParser {
    public let text: String
    public let recordType: RecordType
    private var tokens: [RuleTokenizer.Token] = []
    private var index = 0

    public init(text: String, recordType: RecordType) {
        self.text = text
        self.recordType = recordType
    }

    public mutating func parse() throws -> RuleCondition {
        tokens = try RuleTokenizer(text: text).tokens()
        index = 0
        if case .end = current.kind {
            throw failure(at: current, "the condition is empty", hint: "e.g. --when 'amount > 10000'")
        }
        let condition = try parseOr()
        guard case .end = current.kind else {
            throw failure(at: current, "expected 'and', 'or' or the end of the condition, found \(describe(current))",
                          hint: "join comparisons with and/or; quote values that contain spaces")
        }
        return condition
    }

    // MARK: Grammar

    private mutating func parseOr() throws -> RuleCondition {
        var items = [try parseAnd()]
        while isKeyword("or") {
            advance()
            items.append(try parseAnd())
        }
        return items.count == 1 ? items[0] : .or(items.flatMap { if case .or(let inner) = $0 { inner } else { [$0] } })
    }

    private mutating func parseAnd() throws -> RuleCondition {
        var items = [try parseNot()]
        while isKeyword("and") {
            advance()
            items.append(try parseNot())
        }
        return items.count == 1 ? items[0] : .and(items.flatMap { if case .and(let inner) = $0 { inner } else { [$0] } })
    }

    private mutating func parseNot() throws -> RuleCondition {
        if isKeyword("not") {
            advance()
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws -> RuleCondition {
        let token = current
        switch token.kind {
        case .leftParen:
            advance()
            let inner = try parseOr()
            guard case .rightParen = current.kind else {
                throw failure(at: current, "expected ')' to close the '(' at column \(token.position), found \(describe(current))")
            }
            advance()
            return inner
        case .word(let name) where !Self.keywords.contains(name.lowercased()):
            guard let field = RuleField.lookup(name, in: recordType) else {
                throw failure(at: token, "\(recordType) records have no field '\(name)'",
                              hint: "fields of \(recordType): " + RuleField.fields(of: recordType).map(\.name).joined(separator: ", "))
            }
            advance()
            return try parseComparison(field: field, fieldToken: token)
        default:
            throw failure(at: token, "expected a field name or '(', found \(describe(token))",
                          hint: "fields of \(recordType): " + RuleField.fields(of: recordType).map(\.name).joined(separator: ", "))
        }
    }

    private mutating func parseComparison(field: RuleField, fieldToken: RuleTokenizer.Token) throws -> RuleCondition {
        var negated = false
        if isKeyword("not") {
            advance()
            negated = true
            guard isKeyword("in") else { throw failure(at: current, "expected 'in' after '\(field.name) not'") }
        }
        if isKeyword("in") {
            advance()
            guard case .leftParen = current.kind else {
                throw failure(at: current, "expected '(' after 'in'", hint: "write a list like: store in (tmall, jd)")
            }
            advance()
            var values = [try parseValue(for: field)]
            while case .comma = current.kind {
                advance()
                values.append(try parseValue(for: field))
            }
            guard case .rightParen = current.kind else {
                throw failure(at: current, "expected ',' or ')' in the list, found \(describe(current))")
            }
            advance()
            if field.kind == .bool {
                throw failure(at: fieldToken, "'\(field.name)' is true or false; compare it with = or !=")
            }
            return .member(field: field.name, values: values, negated: negated)
        }
        guard case .op(let op) = current.kind else {
            throw failure(at: current, "expected an operator (= != < <= > >= or in) after '\(field.name)', found \(describe(current))")
        }
        if op.isOrdering && !field.allowsOrdering {
            throw failure(at: current, "'\(field.name)' cannot be compared with \(op.rawValue); use =, != or in",
                          hint: field.kind == .textSet ? "\(field.name) = X matches a record where any line has X" : nil)
        }
        advance()
        return .compare(field: field.name, op: op, value: try parseValue(for: field))
    }

    // MARK: Values

    private mutating func parseValue(for field: RuleField) throws -> RuleValue {
        let token = current
        switch (field.kind, token.kind) {
        case (.money, .number(let digits, false)):
            advance()
            guard let minor = Self.minorUnits(digits) else {
                throw failure(at: token, "\(digits) is not an amount with at most 2 decimals",
                              hint: "amounts are written in major units: 10000 or 10,000.50")
            }
            return .integer(minor)
        case (.integer, .number(let digits, false)):
            advance()
            guard let value = Int64(digits) else { throw failure(at: token, "\(field.name) takes a whole number, not \(digits)") }
            return .integer(value)
        case (.decimal, .number(let digits, let percent)):
            advance()
            guard var value = Decimal(string: digits, locale: Locale(identifier: "en_US_POSIX")) else {
                throw failure(at: token, "\(digits) is not a number")
            }
            if percent { value /= 100 }
            return .decimal(value.description)
        case (.weight, .number(let digits, false)):
            advance()
            guard let grams = Self.scaled(digits, decimals: 3) else {
                throw failure(at: token, "\(digits) is not a weight in kg with at most 3 decimals")
            }
            return .integer(grams)
        case (.text, .word(let value)), (.text, .string(let value)), (.textSet, .word(let value)), (.textSet, .string(let value)):
            if case .word = token.kind, Self.keywords.contains(value.lowercased()) {
                throw failure(at: token, "expected a value, found the keyword '\(value)'", hint: "quote it to mean the word: \"\(value)\"")
            }
            advance()
            return .text(Self.fold(value, field.folding))
        case (.text, .number(let digits, false)), (.textSet, .number(let digits, false)):
            advance()
            return .text(digits)
        case (.bool, .word(let word)), (.bool, .string(let word)):
            advance()
            switch word.lowercased() {
            case "true", "yes", "y", "1": return .bool(true)
            case "false", "no", "n", "0": return .bool(false)
            default: throw failure(at: token, "\(field.name) is true or false, not '\(word)'")
            }
        case (_, .number(_, true)):
            throw failure(at: token, "only fee rates take a percentage", hint: field.kind == .money ? "write the amount in major units, e.g. 10000" : nil)
        default:
            throw failure(at: token, "expected \(Self.expectation(field)) for '\(field.name)', found \(describe(token))")
        }
    }

    /// `10000` → 1000000, `10000.5` → 1000050, `-3.25` → -325; nil with more than 2 decimals.
    static func minorUnits(_ digits: String) -> Int64? { scaled(digits, decimals: 2) }

    /// A decimal number times 10^decimals, exactly; nil when it has more decimals or overflows.
    static func scaled(_ digits: String, decimals: Int) -> Int64? {
        var text = Substring(digits)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return nil }
        let whole = parts[0].isEmpty ? "0" : String(parts[0])
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= decimals, whole.allSatisfy(\.isNumber), fraction.allSatisfy(\.isNumber) else { return nil }
        let padded = fraction + String(repeating: "0", count: decimals - fraction.count)
        guard let value = Int64(whole + padded) else { return nil }
        return negative ? -value : value
    }

    static func fold(_ value: String, _ folding: RuleField.Folding) -> String {
        switch folding {
        case .none: value
        case .lower: value.lowercased()
        case .upper: value.uppercased()
        }
    }

    private static func expectation(_ field: RuleField) -> String {
        switch field.kind {
        case .money: "an amount like 10000 or 10,000.50"
        case .integer: "a whole number"
        case .decimal: "a number like 0.05 or 5%"
        case .weight: "a weight in kg like 2.5"
        case .text, .textSet: "a word or a quoted string"
        case .bool: "true or false"
        }
    }

    // MARK: Tokens

    private static let keywords: Set<String> = ["and", "or", "not", "in"]

    private var current: RuleTokenizer.Token { tokens[index] }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func isKeyword(_ word: String) -> Bool {
        if case .word(let value) = current.kind { return value.lowercased() == word }
        return false
    }

    private func describe(_ token: RuleTokenizer.Token) -> String {
        switch token.kind {
        case .word(let w): "'\(w)'"
        case .string(let s): "the string \"\(s)\""
        case .number(let n, let percent): "the number \(n)\(percent ? "%" : "")"
        case .op(let op): "'\(op.rawValue)'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .comma: "','"
        case .end: "the end of the condition"
        }
    }

    private func failure(at token: RuleTokenizer.Token, _ message: String, hint: String? = nil) -> RuleConditionError {
        RuleConditionError(position: token.position, message: message, hint: hint, text: text)
    }
}
