import ArgumentParser

/// `shoprecon`: the admin CLI. Commands are thin: they parse, call a module, print.
@main
struct ShopRecon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoprecon",
        abstract: "Reconcile e-commerce orders, settlements, bank statements and courier bills.",
        discussion: """
            Configuration: --database-url, else the DATABASE_URL environment variable, else the \
            local development cluster (start it with `Deploy/dev-db.sh start`).

            Exit codes: 0 ok, 1 bad input, 2 usage, 3 permission denied, 4 not found, \
            5 conflict, 10 internal or database unavailable.
            """,
        version: "0.1.0",
        subcommands: [DBCommand.self, Login.self, Logout.self, WhoAmI.self, TenantCommand.self, UserCommand.self,
                      GroupCommand.self, StoreCommand.self, RoleCommand.self, AuditCommand.self, JobsCommand.self,
                      ScheduleCommand.self, ImportCommand.self, MappingCommand.self,
                      ReconCommand.self, ExceptionsCommand.self, MatchCommand.self, RateCardCommand.self, RulesCommand.self,
                      ApprovalsCommand.self, GenCommand.self]
    )
}
