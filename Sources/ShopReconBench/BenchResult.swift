import Foundation

/// One benchmark case's result, printed to stdout as one JSON line:
///
///     {"bench":"pg","case":"copy_binary","rows":1000000,"seconds":1.234,"rows_per_s":810373,"baseline":"psql_copy","ratio":1.1}
///
/// `ratio` is this case's rows/s divided by the baseline's (the baseline itself has 1.0); it
/// is `null` when the baseline did not run. Keys keep this order; `extra` keys follow.
struct BenchResult: Sendable {
    /// A JSON value for the extra keys a benchmark adds (for example the method a case used).
    enum Value: Sendable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
    }

    var bench: String
    var caseName: String
    var rows: Int
    var seconds: Double
    var baseline: String?
    var ratio: Double?
    var extra: [(key: String, value: Value)] = []
    /// The JSON keys of the count and of the rate: `rows`/`rows_per_s`, or `jobs`/`jobs_per_s`
    /// for the job queue benchmark.
    var countKey = "rows"
    var rateKey = "rows_per_s"

    var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }

    /// Fills in `ratio` against the baseline's result (nil when there is none).
    mutating func compare(to baselineResult: BenchResult?) {
        guard let baselineResult else { return }
        baseline = baselineResult.caseName
        ratio = baselineResult.rowsPerSecond > 0 ? rowsPerSecond / baselineResult.rowsPerSecond : nil
    }

    var jsonLine: String {
        var fields: [(String, String)] = [
            ("bench", Self.quote(bench)),
            ("case", Self.quote(caseName)),
            (countKey, String(rows)),
            ("seconds", Self.number(seconds, decimals: 4)),
            (rateKey, String(Int(rowsPerSecond.rounded()))),
            ("baseline", baseline.map(Self.quote) ?? "null"),
            ("ratio", ratio.map { Self.number($0, decimals: 3) } ?? "null"),
        ]
        for (key, value) in extra {
            let encoded: String
            switch value {
            case .string(let s): encoded = Self.quote(s)
            case .int(let i): encoded = String(i)
            case .double(let d): encoded = Self.number(d, decimals: 4)
            case .bool(let b): encoded = b ? "true" : "false"
            }
            fields.append((key, encoded))
        }
        return "{" + fields.map { "\(Self.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Writes the JSON line to stdout right away (unbuffered, so piped output is never lost).
    func emit() {
        FileHandle.standardOutput.write(Data((jsonLine + "\n").utf8))
    }

    /// A finite number with at most `decimals` decimals, trailing zeros dropped down to one
    /// (`1.0`, `1.1`, `1.234`); JSON has no NaN or infinity, so those become `null`.
    private static func number(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "null" }
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") && !text.hasSuffix(".0") { text.removeLast() }
        }
        return text
    }

    private static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
