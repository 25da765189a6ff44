import ArgumentParser

/// `shoprecon recon`: reconciliation runs, their summary, and closing periods.
struct ReconCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "Run reconciliations, see their summary, close and reopen periods.",
        discussion: """
            A run matches, for one month (--period YYYY-MM, in the tenant's time zone), orders against \
            platform transactions (flow orders), payouts against bank credits (collections) and returns \
            against courier bills and refunds (returns), and raises exceptions to work on with \
            `shoprecon exceptions`. Re-running a period replaces its automatic matches; manual matches \
            and the work done on exceptions stay.

            Examples:
              shoprecon recon run --period 2026-10 --wait
              shoprecon recon run --period 2026-10 --flow collections --inline --json
              shoprecon recon summary --period 2026-10
              shoprecon recon close --period 2026-10
            """,
        subcommands: [ReconRun.self, ReconSummaryCommand.self, ReconRuns.self, ReconClose.self, ReconReopen.self, ReconPeriods.self,
                      ReconSettingsCommand.self]
    )
}
