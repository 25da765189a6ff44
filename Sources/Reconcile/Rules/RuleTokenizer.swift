/// Splits a condition into tokens, remembering where each starts (1-based character columns).
///
/// Words are letters, digits, `_ - . : /` and any non-ASCII character (Chinese store names);
/// numbers may use `,` between groups of three digits (`10,000.50`) and end in `%`; strings are
/// quoted with `"` or `'` (a doubled quote inside stands for one).
struct RuleTokenizer {
    enum Kind: Equatable {
        case word(String)
        case string(String)
        /// The number as written, without group separators; `percent` when followed by `%`.
        case number(String, percent: Bool)
        case op(RuleOperator)
        case leftParen, rightParen, comma
        case end
    }

    struct Token: Equatable {
        var kind: Kind
        var position: Int
    }

    let text: String

    func tokens() throws -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        func fail(_ at: Int, _ message: String, hint: String? = nil) -> RuleConditionError {
            RuleConditionError(position: at + 1, message: message, hint: hint, text: text)
        }
        while i < chars.count {
            let c = chars[i]
            let start = i
            if c.isWhitespace { i += 1; continue }
            switch c {
            case "(": tokens.append(Token(kind: .leftParen, position: start + 1)); i += 1
            case ")": tokens.append(Token(kind: .rightParen, position: start + 1)); i += 1
            case ",": tokens.append(Token(kind: .comma, position: start + 1)); i += 1
            case "=":
                i += chars.count > i + 1 && chars[i + 1] == "=" ? 2 : 1
                tokens.append(Token(kind: .op(.equal), position: start + 1))
            case "!":
                guard i + 1 < chars.count, chars[i + 1] == "=" else { throw fail(start, "'!' must be followed by '=' (write != for 'not equal')") }
                tokens.append(Token(kind: .op(.notEqual), position: start + 1)); i += 2
            case "<":
                if i + 1 < chars.count, chars[i + 1] == "=" { tokens.append(Token(kind: .op(.lessOrEqual), position: start + 1)); i += 2 }
                else if i + 1 < chars.count, chars[i + 1] == ">" { tokens.append(Token(kind: .op(.notEqual), position: start + 1)); i += 2 }
                else { tokens.append(Token(kind: .op(.less), position: start + 1)); i += 1 }
            case ">":
                if i + 1 < chars.count, chars[i + 1] == "=" { tokens.append(Token(kind: .op(.greaterOrEqual), position: start + 1)); i += 2 }
                else { tokens.append(Token(kind: .op(.greater), position: start + 1)); i += 1 }
            case "\"", "'":
                var value = ""
                i += 1
                var closed = false
                while i < chars.count {
                    if chars[i] == c {
                        if i + 1 < chars.count, chars[i + 1] == c { value.append(c); i += 2; continue }
                        closed = true
                        i += 1
                        break
                    }
                    value.append(chars[i])
                    i += 1
                }
                guard closed else { throw fail(start, "the string that starts here has no closing \(c)") }
                tokens.append(Token(kind: .string(value), position: start + 1))
            default:
                if c.isASCII && c.isNumber || ((c == "-" || c == ".") && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) {
                    if let (token, next) = try number(chars, from: i) {
                        tokens.append(token)
                        i = next
                        continue
                    }
                }
                guard Self.isWordCharacter(c) else {
                    throw fail(start, "unexpected character '\(c)'",
                               hint: "quote values with special characters: sku = \"A&B\"")
                }
                var word = ""
                while i < chars.count, Self.isWordCharacter(chars[i]) { word.append(chars[i]); i += 1 }
                tokens.append(Token(kind: .word(word), position: start + 1))
            }
        }
        tokens.append(Token(kind: .end, position: chars.count + 1))
        return tokens
    }

    /// A number at `start`, or nil when the characters form a word (`100A`, `2026-10-01`).
    private func number(_ chars: [Character], from start: Int) throws -> (Token, Int)? {
        var i = start
        var digits = ""
        if chars[i] == "-" { digits.append("-"); i += 1 }
        var seenPoint = false
        var groupDigits = 0       // digits since the last ',' (or the start)
        var grouped = false
        while i < chars.count {
            let c = chars[i]
            if c.isASCII && c.isNumber {
                digits.append(c)
                groupDigits += 1
                i += 1
            } else if c == ",", !seenPoint, i + 4 <= chars.count,
                      chars[(i + 1)..<(i + 4)].allSatisfy({ $0.isASCII && $0.isNumber }),
                      i + 4 == chars.count || !(chars[i + 4].isASCII && chars[i + 4].isNumber),
                      grouped ? groupDigits == 3 : (1...3).contains(groupDigits) {
                // `10,000`: a group separator, not a list comma (write `in (1, 234)` for a list).
                grouped = true
                groupDigits = 0
                i += 1
            } else if c == "." && !seenPoint && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber {
                if grouped && groupDigits != 3 { return nil }
                seenPoint = true
                digits.append(".")
                i += 1
            } else {
                break
            }
        }
        var percent = false
        if i < chars.count, chars[i] == "%" { percent = true; i += 1 }
        else if i < chars.count, Self.isWordCharacter(chars[i]), !(chars[i].isASCII && chars[i].isNumber) {
            return nil  // part of a word
        }
        if digits == "-" { return nil }
        return (Token(kind: .number(digits, percent: percent), position: start + 1), i)
    }

    static func isWordCharacter(_ c: Character) -> Bool {
        if !c.isASCII { return !c.isWhitespace }
        return c.isLetter || c.isNumber || c == "_" || c == "-" || c == "." || c == ":" || c == "/" || c == "#" || c == "@"
    }
}
