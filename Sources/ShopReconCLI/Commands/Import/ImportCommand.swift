import ArgumentParser
import Foundation
import Imports
import Ingest
import PostgresClient
import Tenancy

/// `shoprecon import FILE ...` and `shoprecon import list|show|rejects`.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a channel, payment, bank or courier file.",
        discussion: """
            `shoprecon import FILE --store CODE` recognizes the format by its header (or pass \
            --format). Formats: \(FileFormat.allCases.map(\.rawValue).joined(separator: ", ")). \
            CSV, TSV and XLSX; UTF-8 with or without BOM and GBK/GB18030 are detected.

            An import is all or nothing: a bad row stops it with the file, line, column and value, \
            and nothing is kept; --skip-bad-rows loads the good rows and keeps the bad ones with \
            their reasons (`shoprecon import rejects ID`). Importing the same file again, or files \
            that overlap, creates no duplicates: changed rows are updated, the rest left alone.
            """,
        subcommands: [Run.self, List.self, Show.self, Rejects.self],
        defaultSubcommand: Run.self
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "file", abstract: "Import a file (the default: `shoprecon import FILE`).")

        @Argument(help: "The file to load.", completion: .file()) var file: String
        @Option(help: "The store the records belong to (not needed for bank statements).") var store: String?
        @Option(help: "The file's format, or auto.") var format = "auto"
        @Option(help: "A saved column mapping (for --format mapped, or to override the courier/bank-csv defaults).") var mapping: String?
        @Option(help: "Bank account number for bank CSV files that do not name one.") var account: String?
        @Option(help: "IANA time zone of local times in the file (default: the tenant's).") var timeZone: String?
        @Flag(help: "Parse and merge, report what would change, keep nothing.") var dryRun = false
        @Flag(help: "Load the good rows and keep the bad ones with their reasons.") var skipBadRows = false
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let url = URL(fileURLWithPath: file)
                guard FileManager.default.isReadableFile(atPath: url.path) else {
                    throw CLIFailure.badInput("cannot read \(file)", hint: "check the path and its permissions")
                }
                var fileFormat: FileFormat?
                if format != "auto" {
                    guard let chosen = FileFormat(rawValue: format) else {
                        throw CLIFailure.badInput("unknown format \(format)", hint: "one of: auto, " + FileFormat.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    fileFormat = chosen
                }
                var zone: TimeZone?
                if let timeZone {
                    guard let parsed = TimeZone(identifier: timeZone) else { throw CLIFailure.badInput("unknown time zone \(timeZone)") }
                    zone = parsed
                }
                let request = ImportRequest(file: url, format: fileFormat, storeCode: store, mappingName: mapping, account: account,
                                            skipBadRows: skipBadRows, dryRun: dryRun, timeZone: zone)
                let meter = ProgressMeter(label: url.lastPathComponent)
                let summary = try await access.run { tx, context in
                    try await Importer.run(request, context: context, on: tx, progress: { rows in meter.update(rows) })
                }
                meter.finish()
                try emit(summary, json: output.json) { ImportCommand.render(summary) }
            }
        }
    }

    static func render(_ s: ImportSummary) -> String {
        var lines: [String] = []
        let what = s.dryRun ? "Dry run of" : "Imported"
        lines.append("\(what) \(s.file) as \(s.format)\(s.store.map { " into store \($0)" } ?? "")\(s.importID.map { " (import \($0))" } ?? ""): "
                     + "\(s.rowsRead) rows in \(String(format: "%.1f", s.seconds)) s.")
        var table = TextTable("RECORDS", "READ", "NEW", "CHANGED", "UNCHANGED")
        for (kind, c) in s.records.sorted(by: { $0.key < $1.key }) {
            table.append([kind, String(c.read), String(c.inserted), String(c.updated), String(c.unchanged)])
        }
        lines.append(table.render())
        if s.rowsRejected > 0 {
            lines.append("\(s.rowsRejected) bad rows were left out: `shoprecon import rejects \(s.importID.map(String.init) ?? "ID")` lists them.")
        }
        if !s.previousImports.isEmpty {
            lines.append("The same file was imported before (import \(s.previousImports.map(String.init).joined(separator: ", "))).")
        }
        if s.dryRun { lines.append("Nothing was kept (--dry-run).") }
        return lines.joined(separator: "\n")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List imports, newest first.")
        @Option var limit = 50
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let limit = self.limit
                let imports = try await access.run { tx, context in try ImportLog.list(limit: limit, context: context, on: tx) }
                try emit(imports, json: output.json) {
                    var table = TextTable("ID", "FILE", "FORMAT", "STORE", "ROWS", "NEW", "CHANGED", "REJECTED", "BY", "AT")
                    for i in imports {
                        table.append([String(i.id), i.file, i.format, i.store ?? "-", String(i.rowsRead), String(i.inserted),
                                      String(i.updated), String(i.rejected), i.actor, i.at.shortText])
                    }
                    return table.render()
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one import.")
        @Argument var id: Int64
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let id = self.id
                let entry = try await access.run { tx, context in try ImportLog.find(id: id, context: context, on: tx) }
                try emit(entry, json: output.json) {
                    """
                    import \(entry.id): \(entry.file) (\(entry.format)) into \(entry.store ?? "no store")
                    by \(entry.actor) at \(entry.at.shortText); sha256 \(entry.sha256)
                    rows \(entry.rowsRead): \(entry.inserted) new, \(entry.updated) changed, \(entry.unchanged) unchanged, \(entry.rejected) rejected
                    """
                }
            }
        }
    }

    struct Rejects: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rows an import left out, with the reasons.")
        @Argument var id: Int64
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let id = self.id
                let rejects = try await access.run { tx, context in try ImportLog.rejects(importID: id, context: context, on: tx) }
                try emit(rejects, json: output.json) {
                    var table = TextTable("LINE", "COLUMN", "VALUE", "REASON")
                    for r in rejects { table.append([String(r.line), r.column ?? "-", r.value ?? "-", r.reason]) }
                    return table.render()
                }
            }
        }
    }
}

/// A progress line with rows/s on stderr, only when stderr is a terminal.
final class ProgressMeter: @unchecked Sendable {
    private let label: String
    private let started = Date()
    private let enabled = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var shown = false

    init(label: String) { self.label = label }

    func update(_ rows: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let line = String(format: "\r%@: %d rows, %.0f rows/s ", label, rows, Double(rows) / elapsed)
        FileHandle.standardError.write(Data(line.utf8))
        shown = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
