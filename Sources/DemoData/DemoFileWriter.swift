import Foundation
import Ingest

/// Writes a text file line by line through a small buffer, so that files of a million orders
/// never sit in memory; GBK files are converted chunk by chunk with iconv (UTF-8 → GBK).
final class DemoFileWriter {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private let converter: IconvConverter?
    private let lineEnding: [UInt8]
    private static let flushSize = 64 * 1024

    init(_ url: URL, gbk: Bool = false, lineEnding: String = "\n") throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw DemoError("cannot write \(url.path)", hint: "check that the output directory is writable")
        }
        self.handle = handle
        converter = gbk ? try IconvConverter(from: "UTF-8", to: "GBK") : nil
        self.lineEnding = Array(lineEnding.utf8)
        buffer.reserveCapacity(Self.flushSize + 4096)
    }

    /// Appends `text` and a line ending.
    func line(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        buffer.append(contentsOf: lineEnding)
        if buffer.count >= Self.flushSize { try flush() }
    }

    /// Appends `text` as is.
    func raw(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.flushSize { try flush() }
    }

    /// Appends raw bytes (already encoded).
    func bytes(_ data: Data) throws {
        try flush()
        try handle.write(contentsOf: data)
    }

    private func flush(final: Bool = false) throws {
        guard !buffer.isEmpty || final else { return }
        let out = converter.map { $0.convert(buffer, final: final) } ?? buffer
        if let converter, converter.replacements > 0 {
            throw DemoError("\(url.lastPathComponent): text not representable in GBK", hint: "this is a bug in the generator")
        }
        try handle.write(contentsOf: Data(out))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush(final: true)
        try handle.close()
    }
}

/// CSV and amount formatting shared by the file writers.
enum DemoFormat {
    /// Minor units as `1234.56` (`-0.05` for negatives).
    static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let m = fen.magnitude
        let cents = m % 100
        return sign + String(m / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// Hundred-thousandths of a yuan as `0.76800` (WeChat Pay fees).
    static func yuan5(_ units: Int64) -> String {
        let sign = units < 0 ? "-" : ""
        let m = units.magnitude
        let frac = String(m % 100_000)
        return sign + String(m / 100_000) + "." + String(repeating: "0", count: 5 - frac.count) + frac
    }

    /// Grams as kilograms with one decimal (`1.3`).
    static func kilograms(_ grams: Int) -> String {
        String(grams / 1000) + "." + String(grams % 1000 / 100)
    }

    /// Quotes a CSV field when it needs it.
    static func csv(_ value: String) -> String {
        // A byte scan: Foundation's `contains(_: String)` is far slower, and this runs per field.
        if value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    static func csvLine(_ fields: [String]) -> String { fields.map(csv).joined(separator: ",") }

    /// XML text escaping.
    static func xml(_ text: String) -> String {
        guard text.contains(where: { $0 == "&" || $0 == "<" || $0 == ">" || $0 == "\"" }) else { return text }
        return text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// `n` zero-padded to `width` digits.
    static func digits(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
