#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming character set conversion with the C library's `iconv`.
///
/// Input arrives in chunks that may end inside a multibyte character (a GBK pair split across
/// two 64 KiB reads): the incomplete tail is kept and prepended to the next chunk. Invalid
/// sequences become U+FFFD and are counted in ``replacements``.
public final class IconvConverter {
    private let descriptor: iconv_t
    private var pending: [UInt8] = []
    /// Invalid input sequences replaced by U+FFFD so far.
    public private(set) var replacements = 0
    /// Input bytes consumed so far (for error offsets).
    public private(set) var consumed: Int64 = 0
    let from: String
    let to: String

    /// A converter from `from` to `to` (iconv names: `GB18030`, `UTF-8`, `UTF-16LE`, `GBK`).
    public init(from: String, to: String) throws {
        let cd = iconv_open(to, from)
        guard let cd, cd != iconv_t(bitPattern: -1) else {
            throw IngestError(.encoding, "conversion from \(from) to \(to) is not available on this system",
                              hint: "install the C library's gconv modules")
        }
        descriptor = cd
        self.from = from
        self.to = to
    }

    deinit {
        iconv_close(descriptor)
    }

    /// Converts `input` (appended to any incomplete tail of the previous call). With `final`,
    /// an incomplete tail is replaced rather than kept.
    public func convert(_ input: [UInt8], final: Bool = false) -> [UInt8] {
        var source: [UInt8]
        if pending.isEmpty {
            source = input
        } else {
            source = pending + input
            pending.removeAll()
        }
        var output: [UInt8] = []
        output.reserveCapacity(source.count * 3 / 2 + 16)
        let replacement: [UInt8] = to.uppercased().hasPrefix("UTF-8") || to.uppercased() == "UTF8" ? [0xEF, 0xBF, 0xBD] : [0x3F]
        let bufferSize = max(256, source.count * 2 + 16)
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        source.withUnsafeMutableBytes { sourceBytes in
            var inPointer: UnsafeMutablePointer<CChar>? = sourceBytes.baseAddress?.assumingMemoryBound(to: CChar.self)
            var inLeft = sourceBytes.count
            while inLeft > 0 {
                let (produced, result, err): (Int, Int, Int32) = buffer.withUnsafeMutableBytes { outBytes in
                    var outPointer: UnsafeMutablePointer<CChar>? = outBytes.baseAddress?.assumingMemoryBound(to: CChar.self)
                    var outLeft = outBytes.count
                    let r = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    let e = r == -1 ? errno : 0
                    return (outBytes.count - outLeft, r, e)
                }
                output.append(contentsOf: buffer[0..<produced])
                if result != -1 { break }
                switch err {
                case E2BIG:
                    continue
                case EINVAL:
                    // Incomplete sequence at the end of this chunk.
                    if final {
                        output.append(contentsOf: replacement)
                        replacements += 1
                        inLeft = 0
                    } else if let start = inPointer {
                        let raw = UnsafeRawPointer(start)
                        pending = Array(UnsafeRawBufferPointer(start: raw, count: inLeft))
                        inLeft = 0
                    }
                case EILSEQ:
                    output.append(contentsOf: replacement)
                    replacements += 1
                    inPointer = inPointer.map { $0 + 1 }
                    inLeft -= 1
                default:
                    output.append(contentsOf: replacement)
                    replacements += 1
                    inLeft = 0
                }
            }
        }
        consumed += Int64(input.count)
        return output
    }

    /// Converts a whole buffer in one go (tests use this to write GBK samples).
    public static func convert(_ bytes: [UInt8], from: String, to: String) throws -> [UInt8] {
        let converter = try IconvConverter(from: from, to: to)
        return converter.convert(bytes, final: true)
    }
}
