/// Escapes values for `COPY ... FROM STDIN` in PostgreSQL's default text format
/// (tab-separated, `\N` for NULL, backslash escapes).
public enum PostgresTextCopyEncoder {
    /// Appends one field, escaped; `nil` becomes `\N`.
    public static func appendField(_ value: String?, to out: inout [UInt8]) {
        guard let value else {
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "N"))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: out.append(byte)
            }
        }
    }

    /// Appends a whole row: fields separated by tabs, ended by a newline.
    public static func appendRow(_ fields: [String?], to out: inout [UInt8]) {
        for (n, field) in fields.enumerated() {
            if n > 0 { out.append(UInt8(ascii: "\t")) }
            appendField(field, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }
}
