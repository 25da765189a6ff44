import ArgumentParser
import Foundation
import Imports
import Ingest
import Tenancy

/// `shoprecon mapping create|list|show`: column mappings for the generic importer.
struct MappingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping",
        abstract: "Save column mappings for CSV/XLSX files of any layout (--format mapped).",
        discussion: """
            A mapping says which record a row becomes (--kind) and which column holds each field \
            (--field FIELD=HEADER, repeatable; several headers separated by | are alternatives). \
            Fields per kind: \(ColumnMapping.RecordKind.allCases.map { kind in
                let names = ColumnMapping.fieldNames(for: kind)
                return "\(kind.rawValue): \((names.required.map { $0 + "*" } + names.optional).joined(separator: " "))"
            }.joined(separator: "; ")) (* required). Or give the whole mapping as JSON with --json-file.
            """,
        subcommands: [Create.self, List.self, Show.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save a mapping (settings.manage).")
        @Argument var name: String
        @Option(help: "order, transaction, bank_line, courier_line, return or sku_cost.") var kind: String?
        @Option(help: "FIELD=HEADER, repeatable; HEADER may list alternatives separated by |.") var field: [String] = []
        @Option(help: "A JSON file with the whole mapping (fields, sign, date_order, ...).") var jsonFile: String?
        @Option(help: "Currency of the amounts when the file has no currency column.") var currency: String?
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                var mapping: ColumnMapping
                if let jsonFile {
                    let data = try Data(contentsOf: URL(fileURLWithPath: jsonFile))
                    do {
                        mapping = try JSONDecoder().decode(ColumnMapping.self, from: data)
                    } catch {
                        throw CLIFailure.badInput("\(jsonFile) is not a valid mapping: \(error)")
                    }
                    mapping.name = name
                } else {
                    guard let kind, let recordKind = ColumnMapping.RecordKind(rawValue: kind) else {
                        throw CLIFailure.badInput("--kind is one of " + ColumnMapping.RecordKind.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    var fields: [String: [String]] = [:]
                    for entry in field {
                        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                            throw CLIFailure.badInput("--field \(entry) is not FIELD=HEADER")
                        }
                        fields[parts[0], default: []].append(contentsOf: parts[1].split(separator: "|").map(String.init))
                    }
                    mapping = ColumnMapping(name: name, kind: recordKind, fields: fields)
                }
                if let currency { mapping.currency = currency }
                let toSave = mapping
                let saved = try await access.run { tx, context in try MappingDirectory.create(toSave, context: context, on: tx) }
                try emit(saved, json: output.json) { "Saved mapping \(saved.name) (\(saved.mapping.kind.rawValue))." }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List saved mappings.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let mappings = try await access.run { tx, context in try MappingDirectory.list(context: context, on: tx) }
                try emit(mappings, json: output.json) {
                    var table = TextTable("NAME", "KIND", "FIELDS")
                    for m in mappings { table.append([m.name, m.mapping.kind.rawValue, m.mapping.fields.keys.sorted().joined(separator: ",")]) }
                    return table.render()
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a mapping as JSON.")
        @Argument var name: String
        @OptionGroup var access: TenantAccessOptions

        func run() async throws {
            try await runCommand {
                let name = self.name
                let saved = try await access.run { tx, context in try MappingDirectory.find(name: name, context: context, on: tx) }
                try printJSON(saved.mapping)
            }
        }
    }
}
