import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// `GET /health` and `GET /metrics` (Prometheus text format) on a loopback address.
enum MetricsServer {
    static func make(host: String, port: Int, registry: PrometheusCollectorRegistry, worker: String,
                     logger: Logger) -> some Service {
        let router = Router()
        router.get("health") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\",\"worker\":\"\(worker)\"}\n")))
        }
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                           logger: logger)
    }
}
