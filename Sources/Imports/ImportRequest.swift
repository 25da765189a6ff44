import Foundation
import Ingest

/// What `shoprecon import` (or a `channel_sync` job) asks to load.
public struct ImportRequest: Sendable {
    public var file: URL
    /// `nil` detects the format from the file (`--format auto`).
    public var format: FileFormat?
    /// The store the records belong to; bank statements need none.
    public var storeCode: String?
    /// A saved column mapping (`shoprecon mapping create`), for `mapped` files or to override
    /// the shipped courier and bank CSV mappings.
    public var mappingName: String?
    /// Bank account to put on bank CSV lines that do not name one.
    public var account: String?
    /// Load the good rows and keep the bad ones with their reasons, instead of failing.
    public var skipBadRows: Bool
    /// Parse and merge, report what would change, and keep nothing.
    public var dryRun: Bool
    /// Zone of local times in the file; default the tenant's.
    public var timeZone: TimeZone?

    public init(file: URL, format: FileFormat? = nil, storeCode: String? = nil, mappingName: String? = nil,
                account: String? = nil, skipBadRows: Bool = false, dryRun: Bool = false, timeZone: TimeZone? = nil) {
        self.file = file
        self.format = format
        self.storeCode = storeCode
        self.mappingName = mappingName
        self.account = account
        self.skipBadRows = skipBadRows
        self.dryRun = dryRun
        self.timeZone = timeZone
    }
}
