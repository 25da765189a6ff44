import Metrics
import Prometheus

enum DaemonMetrics {
    /// Routes swift-metrics to a Prometheus registry; job durations become histograms.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                                                   .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600)]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
