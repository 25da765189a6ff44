/// The permission catalogue. The database holds the same list (`permissions` table); these
/// constants keep Swift callers from misspelling a code.
public enum Permission {
    public static let orderViewBasic = "order.view_basic"
    public static let orderViewFinancial = "order.view_financial"
    public static let orderViewContact = "order.view_contact"
    public static let orderEdit = "order.edit"
    public static let matchManual = "match.manual"
    public static let exceptionResolve = "exception.resolve"
    public static let exceptionApprove = "exception.approve"
    public static let reportView = "report.view"
    public static let reportExport = "report.export"
    public static let importRun = "import.run"
    public static let reconRun = "recon.run"
    public static let userManage = "user.manage"
    public static let settingsManage = "settings.manage"
    public static let auditView = "audit.view"

    public static let all = [orderViewBasic, orderViewFinancial, orderViewContact, orderEdit, matchManual,
                             exceptionResolve, exceptionApprove, reportView, reportExport, importRun, reconRun,
                             userManage, settingsManage, auditView]

    /// Whether a string has the shape of a permission code, so it can go into `SET LOCAL`.
    static func isWellFormed(_ code: String) -> Bool {
        !code.isEmpty && code.utf8.count <= 64 && code.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
        }
    }
}
