import ArgumentParser
import Foundation
import Jobs
import Tenancy

/// `shoprecon schedule ...`: recurring jobs of a tenant.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Recurring jobs: daily, weekly or monthly reconciliation and syncs.",
        discussion: """
            Cron expressions have five fields (minute hour day-of-month month day-of-week) and are \
            evaluated in the tenant's time zone unless --time-zone says otherwise; @daily, @weekly \
            and @monthly work too. Every running shoprecond enqueues each slot once between them.
            """,
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a schedule (settings.manage).")
        @Option(help: "Job kind, e.g. reconcile_run or channel_sync.") var kind: String
        @Option(help: "Cron expression, e.g. \"0 2 * * *\" for 02:00 every day.") var cron: String
        @Option(help: "Name (default: the kind).") var name: String?
        @Option var queue = "default"
        @Option(help: "Job arguments as JSON.") var args = "{}"
        @Option(help: "IANA time zone (default: the tenant's).") var timeZone: String?
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let (kind, cron, name, queue, args, zone) = (kind, cron, name ?? kind, queue, args, timeZone)
                let schedule = try await access.run { tx, context in
                    try ScheduleDirectory.add(name: name, kind: kind, cron: cron, queue: queue, args: args, timeZone: zone,
                                              context: context, on: tx)
                }
                try emit(schedule, json: output.json) { "Added schedule \(schedule.name); first run \(schedule.nextRunAt.shortText)." }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules with their next run.")
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let schedules = try await access.run { tx, context in try ScheduleDirectory.list(context: context, on: tx) }
                try emit(schedules, json: output.json) {
                    var table = TextTable("NAME", "KIND", "CRON", "TIME ZONE", "NEXT RUN", "LAST SLOT")
                    for s in schedules {
                        table.append([s.name, s.kind, s.cron, s.timeZone ?? "(tenant)", s.nextRunAt.shortText, s.lastSlotAt?.shortText ?? "-"])
                    }
                    return table.render()
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule (settings.manage).")
        @Argument var name: String
        @OptionGroup var access: TenantAccessOptions

        func run() async throws {
            try await runCommand {
                let name = self.name
                try await access.run { tx, context in try ScheduleDirectory.remove(name: name, context: context, on: tx) }
                print("Removed schedule \(name).")
            }
        }
    }
}
