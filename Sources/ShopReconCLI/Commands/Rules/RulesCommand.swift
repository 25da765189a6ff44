import ArgumentParser
import Foundation
import Ingest
import PostgresClient
import Reconcile
import Tenancy

/// `shoprecon rules add|list|remove|test`: custom reconciliation rules of a tenant.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Custom rules: raise exceptions, require approvals or notify a webhook for matching records.",
        discussion: """
            A rule has a condition on the fields of one record type (--on) and an action. Every \
            reconciliation run applies the enabled rules of the flows it covers to the records of \
            its period (and store): order and transaction rules run with the orders flow, payout \
            and bank_line rules with collections, return and courier_line rules with returns.

            Conditions: comparisons (= != < <= > >=), `FIELD in (a, b)`, `FIELD not in (...)`, \
            joined with and / or / not and parentheses. Amounts are written in major units \
            (10000 or 10,000.50); fee rates as 0.05 or 5%; weights in kg; age in days up to the \
            run's as-of date. Words are taken as text; quote values with spaces ("A 100"). \
            In lists put a space after commas that separate numbers: in (1, 234).

            Fields:
            \(RecordType.allCases.map { type in
                "  \(type.rawValue): " + RuleField.fields(of: type).map(\.name).joined(separator: ", ")
            }.joined(separator: "\n"))

            Examples:
              shoprecon rules add big-orders --on order --when 'amount > 10000' --action approval --role finance_manager
              shoprecon rules add high-fees --on order --when 'fee_rate > 5% or store in (tmall-1, jd-1)' --action exception --severity high
              shoprecon rules add old-returns --on return --when 'received = false and age >= 30' --action notify --url https://hooks.example.com/recon
              shoprecon rules test big-orders --period 2026-10
            Adding, removing and testing rules needs settings.manage.
            """,
        subcommands: [Add.self, List.self, Remove.self, Test.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a rule (settings.manage).",
            discussion: """
                --action exception raises an exception `rule:NAME` with --severity (low, medium, high, \
                critical; default medium). --action approval holds each matching record until \
                someone with --role approves it (`shoprecon approvals`). --action notify posts each \
                matching record as JSON to --url (delivered by the `notify` job of shoprecond).
                """)
        @Argument(help: "Rule name: lower-case letters, digits, '_', '.', '-'.") var name: String
        @Option(help: "Record type: order, transaction, payout, bank_line, return or courier_line.") var on: String
        @Option(help: "The condition, e.g. 'amount > 10000 and channel = taobao'.") var when: String
        @Option(help: "exception, approval or notify.") var action: String
        @Option(help: "Severity of the exceptions: low, medium, high or critical.") var severity: String?
        @Option(help: "The role that approves (approval rules), e.g. finance_manager.") var role: String?
        @Option(help: "Webhook URL (notify rules), http:// or https://.") var url: String?
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let type = try parseRecordType(on)
                guard let action = RuleAction(rawValue: action.lowercased()) else {
                    throw CLIFailure.badInput("unknown action '\(action)'", hint: "use exception, approval or notify")
                }
                var level: Severity?
                if let severity {
                    guard let parsed = Severity(rawValue: severity.lowercased()) else {
                        throw CLIFailure.badInput("unknown severity '\(severity)'", hint: "use low, medium, high or critical")
                    }
                    level = parsed
                }
                if action != .exception, severity != nil { throw CLIFailure.badInput("--severity is for --action exception") }
                if action != .approval, role != nil { throw CLIFailure.badInput("--role is for --action approval") }
                if action != .notify, url != nil { throw CLIFailure.badInput("--url is for --action notify") }
                let definition = RuleDirectory.Definition(name: name, recordType: type, condition: when, action: action,
                                                          severity: level, approverRole: role, webhookURL: url)
                let rule = try await access.run { tx, context in try RuleDirectory.add(definition, context: context, on: tx) }
                try emit(RuleView(rule), json: output.json) {
                    "Added rule \(rule.name): on \(rule.recordType) when \(rule.condition) → \(describeAction(rule))."
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's rules.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let rules = try await access.run { tx, context in try RuleDirectory.list(context: context, on: tx) }
                try emit(rules.map(RuleView.init), json: output.json) {
                    guard !rules.isEmpty else { return "No rules. Add one with `shoprecon rules add NAME --on order --when 'amount > 10000' --action exception`." }
                    var table = TextTable("NAME", "ON", "WHEN", "ACTION", "ENABLED", "BY")
                    for rule in rules {
                        table.append([rule.name, rule.recordType.rawValue, rule.condition, describeAction(rule), rule.enabled ? "yes" : "no", rule.createdBy])
                    }
                    return table.render()
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a rule and its approvals (settings.manage).",
            discussion: "Exceptions the rule raised stay until the next run of their period clears them.")
        @Argument var name: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let name = self.name
                try await access.run { tx, context in try RuleDirectory.remove(name: name, context: context, on: tx) }
                try emit(["removed": name], json: output.json) { "Removed rule \(name)." }
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which records a rule or a condition would match in a period, changing nothing (settings.manage).",
            discussion: """
                Give a saved rule's NAME, or a condition with --when and --on. Runs in a transaction \
                that is rolled back.
                  shoprecon rules test big-orders --period 2026-10
                  shoprecon rules test --on order --when 'sku = "A-100" and quantity >= 5' --period 2026-10 --json
                """)
        @Argument(help: "A saved rule (or use --when and --on).") var name: String?
        @Option(help: "A condition to try instead of a saved rule.") var when: String?
        @Option(help: "Record type of --when.") var on: String?
        @Option(help: "Period YYYY-MM.") var period: String
        @Option(help: "Only this store (code).") var store: String?
        @Option(help: "Judge ages as of this date (YYYY-MM-DD; default: today in the tenant's time zone).") var asOf: String?
        @Option(help: "Records to show.") var limit = 20
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let period = try ReconPeriod(parsing: self.period)
                if let asOf, !isDate(asOf) { throw CLIFailure.badInput("--as-of \(asOf) is not a date", hint: "write YYYY-MM-DD") }
                let (name, when, on, store, asOf, limit) = (name, when, on, store, asOf, limit)
                let source: (String?, String?, RecordType?)
                switch (name, when) {
                case (let name?, nil): source = (name, nil, nil)
                case (nil, let when?):
                    guard let on else { throw CLIFailure.badInput("--when needs --on TYPE", hint: "e.g. --on order") }
                    source = (nil, when, try parseRecordType(on))
                default:
                    throw CLIFailure.badInput("give a rule NAME or --when with --on, not both", hint: "shoprecon rules test big-orders --period 2026-10")
                }
                let preview = try await access.run { tx, context in
                    try context.require(Permission.settingsManage, to: "test rules")
                    let tenant = try context.requireTenant()
                    let condition: RuleCondition
                    let type: RecordType
                    if let name = source.0 {
                        let rule = try RuleDirectory.find(name: name, context: context, on: tx)
                        (condition, type) = (rule.conditionTree, rule.recordType)
                    } else {
                        type = source.2!
                        condition = try RuleDirectory.parseCondition(source.1!, for: type)
                    }
                    let storeID = try store.map { try StoreDirectory.find(code: $0, context: context, on: tx).id }
                    let day = try asOf ?? tx.query("SELECT to_char((now() AT TIME ZONE time_zone)::date, 'YYYY-MM-DD') FROM tenants WHERE tenant_id = $1",
                                                   [tenant])[0].decode(String.self, at: 0)
                    let scope = RunScope(runID: 0, tenantID: tenant, period: period, flows: [Rule.flow(of: type)], storeID: storeID, asOf: day)
                    // Nothing here writes, but the preview runs in a savepoint that is rolled back all the same.
                    do {
                        try await tx.transaction { tx in
                            throw PreviewRollback(preview: try RuleDirectory.preview(condition, recordType: type, scope: scope, limit: limit,
                                                                                     context: context, on: tx))
                        }
                    } catch let carrier as PreviewRollback {
                        return carrier.preview
                    }
                    throw CLIFailure(exit: .internalError, message: "the preview did not roll back")
                }
                try emit(preview, json: output.json) {
                    var text = "\(preview.count) \(preview.recordType) record(s) of \(preview.period) match."
                    guard !preview.records.isEmpty else { return text }
                    var table = TextTable("ID", "STORE", "CHANNEL", "REFERENCE", "AMOUNT")
                    for r in preview.records {
                        table.append([String(r.recordID), r.store ?? "-", r.channel ?? "-", r.reference ?? "-", formatMoney(r.amount, r.currency)])
                    }
                    text += "\n" + table.render()
                    if preview.count > preview.records.count { text += "\n… and \(preview.count - preview.records.count) more (--limit)" }
                    return text
                }
            }
        }
    }
}

/// Carries a preview out of the savepoint it was made in, rolling the savepoint back.
private struct PreviewRollback: Error {
    let preview: RulePreview
}

/// A rule as `rules list --json` prints it.
struct RuleView: Encodable {
    var id: Int64
    var name: String
    var on: String
    var when: String
    var condition: RuleCondition
    var action: String
    var severity: String?
    var role: String?
    var url: String?
    var enabled: Bool
    var createdBy: String
    var createdAt: Date

    init(_ rule: Rule) {
        id = rule.id
        name = rule.name
        on = rule.recordType.rawValue
        when = rule.condition
        condition = rule.conditionTree
        action = rule.action.rawValue
        severity = rule.severity?.rawValue
        role = rule.approverRole
        url = rule.webhookURL
        enabled = rule.enabled
        createdBy = rule.createdBy
        createdAt = rule.createdAt
    }
}

func describeAction(_ rule: Rule) -> String {
    switch rule.action {
    case .exception: "exception (\(rule.severity?.rawValue ?? "medium"))"
    case .approval: "approval by \(rule.approverRole ?? "?")"
    case .notify: "notify \(rule.webhookURL ?? "?")"
    }
}

func parseRecordType(_ text: String) throws -> RecordType {
    guard let type = RecordType(rawValue: text.lowercased()) else {
        throw CLIFailure.badInput("unknown record type '\(text)'",
                                  hint: "use one of " + RecordType.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return type
}

/// `10,000.50 CNY` from minor units; `-` when unknown.
func formatMoney(_ minor: Int64?, _ currency: String?) -> String {
    guard let minor else { return "-" }
    guard let currency else { return String(minor) }
    return Money(minorUnits: minor, currency: currency).description
}

func isDate(_ text: String) -> Bool {
    let parts = text.split(separator: "-")
    return parts.count == 3 && parts[0].count == 4 && parts.allSatisfy { Int($0) != nil }
}
