import Imports
import Jobs
import Reconcile

/// The job kinds this daemon can run. Modules add their handlers here as they arrive
/// (`reconcile_run` and `report_export` are still to come).
enum DaemonHandlers {
    static func registry() -> JobRegistry {
        JobRegistry([NoopHandler(), SleepHandler(), PruneHandler(), ChannelSyncHandler(), ReconcileRunHandler(), NotifyHandler()])
    }
}
