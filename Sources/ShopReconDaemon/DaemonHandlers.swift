import Jobs

/// The job kinds this daemon can run. Modules add their handlers here as they arrive
/// (`channel_sync`, `reconcile_run`, `report_export`, `notify`).
enum DaemonHandlers {
    static func registry() -> JobRegistry {
        JobRegistry([NoopHandler(), SleepHandler(), PruneHandler()])
    }
}
