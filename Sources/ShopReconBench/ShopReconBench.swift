import ArgumentParser

/// `shoprecon-bench`: performance benchmarks for ShopRecon against a real PostgreSQL.
///
/// Each benchmark is a subcommand in a file of its own. Results go to stdout as one JSON
/// line per case (see ``BenchResult``); human progress goes to stderr, so
/// `shoprecon-bench pg > results.jsonl` captures only the results.
@main
struct ShopReconBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoprecon-bench",
        abstract: "Benchmarks for ShopRecon's PostgreSQL paths.",
        discussion: """
            Results are printed to stdout as JSON lines, one per case:
              {"bench":"pg","case":"copy_binary","rows":1000000,"seconds":1.234,...}
            Progress and diagnostics go to stderr.

            The database is --database-url, else DATABASE_URL, else the local development
            cluster (Deploy/dev-db.sh). Benchmarks work in a scratch schema of their own and
            drop it when they finish.
            """,
        subcommands: [PgBench.self, RlsBench.self, JobsBench.self, IngestBench.self, ReconBench.self]
    )
}
