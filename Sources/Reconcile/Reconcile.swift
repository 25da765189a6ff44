/// Reconciliation: matching orders to platform transactions, payouts to bank credits and returns
/// to courier bills and refunds, in set-based SQL inside PostgreSQL; the exceptions it finds and
/// their workflow; custom rules, approvals and notifications; closed periods.
///
/// Everything here runs inside a ``Tenancy/TenantScope`` transaction, so row-level security
/// applies to the engine as it does to a user.
public enum Reconcile {}
