import ArgumentParser
import Foundation
import Reconcile

/// Which exceptions an action works on: ids, or `--all-matching` with filters.
struct ExceptionTargetOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Exception ids (see `exceptions list`).", valueName: "id"))
    var ids: [Int64] = []

    @Flag(name: .customLong("all-matching"),
          help: "Act on every exception matching the filters (and ids, if given), all in one transaction.")
    var allMatching = false

    @OptionGroup(title: "Filters (with --all-matching)") var filters: ExceptionFilterOptions

    @Flag(help: "Check everything and print how many exceptions would change; change nothing.")
    var dryRun = false

    func validate() throws {
        if allMatching {
            guard !filters.isEmpty || !ids.isEmpty else {
                throw ValidationError("--all-matching needs at least one filter, e.g. --period 2026-10 --status open")
            }
        } else {
            guard !ids.isEmpty else {
                throw ValidationError("give exception ids, or --all-matching with filters")
            }
            guard filters.isEmpty else {
                throw ValidationError("filters select exceptions only with --all-matching; add it, or give ids alone")
            }
        }
    }

    func request(_ action: ExceptionAction, assignee: String? = nil, text: String? = nil,
                 holdUntil: String? = nil) throws -> ExceptionActionRequest {
        ExceptionActionRequest(action: action, filter: try filters.filter(ids: ids), bulk: allMatching, assignee: assignee,
                               text: text, holdUntil: holdUntil, dryRun: dryRun)
    }

    /// Runs the action in one transaction as the user and prints what it did.
    func perform(_ request: ExceptionActionRequest, access: TenantAccessOptions, output: OutputOptions) async throws {
        try await runCommand {
            let result = try await access.run { tx, context in try ExceptionDirectory.perform(request, context: context, on: tx) }
            try emit(result, json: output.json) { ExceptionsCommand.render(result) }
        }
    }
}

struct ExceptionsAssign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Give exceptions to a user of the tenant; open ones go into review.",
        discussion: """
            Examples:
              shoprecon exceptions assign 412 413 --to alice
              shoprecon exceptions assign --all-matching --period 2026-10 \\
                  --store jd-1 --unassigned --to bob
            """
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: ArgumentHelp("The user to assign to.", valueName: "username")) var to: String
    @Option(help: "A note for the history.") var note: String?
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            try await target.perform(try target.request(.assign, assignee: to, text: note), access: access, output: output)
        }
    }
}

struct ExceptionsReview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Start working on open exceptions (open -> in_review).",
        discussion: "Example: shoprecon exceptions review 412 --note \"checking with the bank\""
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: "A note for the history.") var note: String?
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand { try await target.perform(try target.request(.review, text: note), access: access, output: output) }
    }
}

struct ExceptionsResolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Mark exceptions resolved, saying how (open or in_review -> resolved).",
        discussion: """
            Examples:
              shoprecon exceptions resolve 412 --resolution "settlement corrected 11-03"
              shoprecon exceptions resolve --all-matching --period 2026-10 \\
                  --type unpaid --status in_review --resolution "paid late" --dry-run
            """
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: "What was done or found (required).") var resolution: String
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand { try await target.perform(try target.request(.resolve, text: resolution), access: access, output: output) }
    }
}

struct ExceptionsWriteOff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-off",
        abstract: "Accept the differences of exceptions, with a reason (open or in_review -> written_off).",
        discussion: """
            Examples:
              shoprecon exceptions write-off 415 --reason "below the agreed tolerance"
              shoprecon exceptions write-off --all-matching --period 2026-10 \\
                  --type fee_anomaly --status open --reason "fee rounding" --dry-run
            """
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: "Why the difference is accepted (required).") var reason: String
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand { try await target.perform(try target.request(.writeOff, text: reason), access: access, output: output) }
    }
}

struct ExceptionsHold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Put open or in-review exceptions on hold until a later day, or take the hold off.",
        discussion: """
            They keep their status and show as on_hold (`exceptions list --status on_hold`) \
            until the day. --clear takes the hold off before then.

            Examples:
              shoprecon exceptions hold 413 --until 2026-12-15 --note "dispute filed"
              shoprecon exceptions hold 413 --clear --note "courier answered"
            """
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: ArgumentHelp("The day to hold until, YYYY-MM-DD, after today.", valueName: "date")) var until: String?
    @Flag(help: "Take the hold off instead.") var clear = false
    @Option(help: "Why (kept in the history).") var note: String?
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (until != nil) != clear else { throw ValidationError("give either --until DATE or --clear") }
    }

    func run() async throws {
        try await runCommand {
            let request = clear ? try target.request(.clearHold, text: note) : try target.request(.hold, text: note, holdUntil: until)
            try await target.perform(request, access: access, output: output)
        }
    }
}

struct ExceptionsReopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen",
        abstract: "Open resolved or written-off exceptions again.",
        discussion: "Example: shoprecon exceptions reopen 412 --note \"the correction was reversed\""
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: "Why (kept in the history).") var note: String?
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand { try await target.perform(try target.request(.reopen, text: note), access: access, output: output) }
    }
}

struct ExceptionsNote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Add a note to exceptions' history; their status stays.",
        discussion: "Example: shoprecon exceptions note 412 --note \"asked Tmall support, ticket 88213\""
    )
    @OptionGroup var target: ExceptionTargetOptions
    @Option(help: "The note (required).") var note: String
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand { try await target.perform(try target.request(.note, text: note), access: access, output: output) }
    }
}
