/// A text file's character encoding.
public enum TextEncoding: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case utf8 = "UTF-8"
    /// GB18030, a superset of GBK and GB2312 (Chinese "ANSI" exports).
    case gb18030 = "GB18030"
    case utf16LE = "UTF-16LE"
    case utf16BE = "UTF-16BE"

    public var description: String { rawValue }
}

/// What the caller says about the encoding: detect it, or force one.
public enum EncodingChoice: Sendable, Hashable, Codable {
    case auto
    case forced(TextEncoding)
}

/// The result of looking at a file's first bytes.
public struct DetectedEncoding: Sendable, Hashable {
    public var encoding: TextEncoding
    /// Length of the byte order mark to skip (0, 2 or 3).
    public var bomLength: Int

    public init(encoding: TextEncoding, bomLength: Int) {
        self.encoding = encoding
        self.bomLength = bomLength
    }
}

/// Encoding detection: a BOM decides; otherwise text that is valid UTF-8 is UTF-8 and anything
/// else is GB18030 (GBK files are essentially never valid UTF-8 beyond a few bytes).
public enum EncodingDetector {
    /// Detects the encoding of a file from its first bytes (pass at least the first chunk).
    /// `isComplete` says the bytes are the whole file (so a truncated sequence at the end is an
    /// error rather than a chunk boundary).
    public static func detect(_ prefix: [UInt8], isComplete: Bool = false) -> DetectedEncoding {
        if prefix.starts(with: [0xEF, 0xBB, 0xBF]) { return DetectedEncoding(encoding: .utf8, bomLength: 3) }
        if prefix.starts(with: [0xFF, 0xFE]) { return DetectedEncoding(encoding: .utf16LE, bomLength: 2) }
        if prefix.starts(with: [0xFE, 0xFF]) { return DetectedEncoding(encoding: .utf16BE, bomLength: 2) }
        let validation = UTF8Validator.validate(prefix[...])
        switch validation {
        case .valid:
            return DetectedEncoding(encoding: .utf8, bomLength: 0)
        case .incompleteTail:
            // Inside the file: a chunk boundary. At the very end: not UTF-8.
            return DetectedEncoding(encoding: isComplete ? .gb18030 : .utf8, bomLength: 0)
        case .invalid:
            return DetectedEncoding(encoding: .gb18030, bomLength: 0)
        }
    }
}

/// Incremental UTF-8 validation.
enum UTF8Validator {
    enum Result: Equatable {
        case valid
        /// Valid up to an incomplete sequence starting at this offset.
        case incompleteTail(at: Int)
        /// Invalid byte at this offset.
        case invalid(at: Int)
    }

    static func validate(_ bytes: ArraySlice<UInt8>) -> Result {
        let base = bytes.startIndex
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return .invalid(at: i - base)
            }
            for k in 1..<length {
                guard i + k < end else { return .incompleteTail(at: i - base) }
                let c = bytes[i + k]
                let (lo, hi): (UInt8, UInt8) = k == 1 ? (lower, upper) : (0x80, 0xBF)
                guard c >= lo, c <= hi else { return .invalid(at: i - base) }
            }
            i += length
        }
        return .valid
    }
}

/// Wraps a byte source and yields UTF-8: detects the encoding from the first 64 KiB (or takes
/// the forced one), strips a BOM, converts GB18030/UTF-16 with iconv chunk by chunk.
///
/// A file detected as UTF-8 whose first 64 KiB were pure ASCII switches to GB18030 if later
/// bytes are not UTF-8 (ASCII reads the same in both). Invalid UTF-8 after real UTF-8 text is an
/// error naming the byte offset.
public struct DecodingByteSource<Base: ByteSource>: ByteSource {
    private var base: Base
    private let choice: EncodingChoice
    private let detectionWindow: Int
    private var started = false
    private var queued: [[UInt8]] = []
    private var converter: IconvConverter?
    private var utf8Carry: [UInt8] = []
    private var sawNonASCII = false
    private var offset: Int64 = 0
    private var ended = false
    let fileName: String?

    /// The detected (or forced) encoding; set after the first chunk is read.
    public private(set) var encoding: TextEncoding?
    /// Invalid byte sequences replaced with U+FFFD during conversion.
    public var replacements: Int { converter?.replacements ?? 0 }

    public init(_ base: Base, encoding: EncodingChoice = .auto, detectionWindow: Int = defaultChunkSize, fileName: String? = nil) {
        self.base = base
        self.choice = encoding
        self.detectionWindow = detectionWindow
        self.fileName = fileName
    }

    /// Reads ahead until the encoding is known, without consuming output.
    public mutating func detect() throws -> TextEncoding {
        try start()
        return encoding ?? .utf8
    }

    private mutating func start() throws {
        guard !started else { return }
        started = true
        var prefix: [UInt8] = []
        var complete = false
        while prefix.count < detectionWindow {
            guard let chunk = try base.nextChunk() else {
                complete = true
                break
            }
            prefix.append(contentsOf: chunk)
        }
        let detected: DetectedEncoding
        switch choice {
        case .auto:
            detected = EncodingDetector.detect(prefix, isComplete: complete)
        case .forced(let forced):
            var bom = 0
            if forced == .utf8, prefix.starts(with: [0xEF, 0xBB, 0xBF]) { bom = 3 }
            if forced == .utf16LE, prefix.starts(with: [0xFF, 0xFE]) { bom = 2 }
            if forced == .utf16BE, prefix.starts(with: [0xFE, 0xFF]) { bom = 2 }
            detected = DetectedEncoding(encoding: forced, bomLength: bom)
        }
        encoding = detected.encoding
        if detected.encoding != .utf8 {
            converter = try IconvConverter(from: detected.encoding.rawValue, to: "UTF-8")
        }
        if detected.bomLength > 0 {
            prefix.removeFirst(min(detected.bomLength, prefix.count))
            offset = Int64(detected.bomLength)
        }
        if !prefix.isEmpty { queued.append(prefix) }
    }

    public mutating func nextChunk() throws -> [UInt8]? {
        try start()
        while true {
            if ended { return nil }
            let input: [UInt8]?
            if !queued.isEmpty {
                input = queued.removeFirst()
            } else {
                input = try base.nextChunk()
            }
            guard let input else {
                ended = true
                return try finish()
            }
            let output = try decode(input)
            if !output.isEmpty { return output }
        }
    }

    private mutating func finish() throws -> [UInt8]? {
        if let converter {
            let tail = converter.convert([], final: true)
            return tail.isEmpty ? nil : tail
        }
        if !utf8Carry.isEmpty {
            throw IngestError(.encoding, "ends inside a UTF-8 character (byte offset \(offset - Int64(utf8Carry.count)))",
                              file: fileName, hint: "the file is truncated or not UTF-8; pass the encoding explicitly")
        }
        return nil
    }

    private mutating func decode(_ input: [UInt8]) throws -> [UInt8] {
        defer { offset += Int64(input.count) }
        if let converter {
            return converter.convert(input)
        }
        var bytes: [UInt8]
        if utf8Carry.isEmpty {
            bytes = input
        } else {
            bytes = utf8Carry + input
            utf8Carry.removeAll()
        }
        switch UTF8Validator.validate(bytes[...]) {
        case .valid:
            if !sawNonASCII { sawNonASCII = bytes.contains { $0 >= 0x80 } }
            return bytes
        case .incompleteTail(let at):
            utf8Carry = Array(bytes[at...])
            bytes.removeSubrange(at...)
            if !sawNonASCII { sawNonASCII = bytes.contains { $0 >= 0x80 } }
            return bytes
        case .invalid(let at):
            let before = bytes[..<at]
            if !sawNonASCII, !before.contains(where: { $0 >= 0x80 }), choice == .auto {
                // Only ASCII so far: the file is GB18030 after all.
                let converter = try IconvConverter(from: TextEncoding.gb18030.rawValue, to: "UTF-8")
                self.converter = converter
                encoding = .gb18030
                return converter.convert(bytes)
            }
            let position = offset - Int64(bytes.count - input.count) + Int64(at)
            throw IngestError(.encoding, "is not valid UTF-8 at byte offset \(position)", file: fileName,
                              hint: "the file mixes encodings; convert it to UTF-8 or pass the encoding explicitly")
        }
    }
}
