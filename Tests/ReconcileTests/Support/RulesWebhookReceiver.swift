import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ShopReconTestSupport

/// A webhook receiver on loopback for the notify tests: answers `POST /hook` from a script of
/// replies (the last one repeats) and records every request.
actor RulesWebhookReceiver {
    struct Reply: Sendable {
        var status: Int
        /// Seconds to wait before answering (to trip the sender's timeout).
        var delay: Double = 0
    }

    struct Received: Sendable {
        var body: String
        var delivery: String?
        var contentType: String?
        var status: Int
    }

    private var script: [Reply]
    private(set) var received: [Received] = []

    init(_ script: [Reply]) { self.script = script.isEmpty ? [Reply(status: 200)] : script }

    func next(body: String, delivery: String?, contentType: String?) -> Reply {
        let reply = script[0]
        if script.count > 1 { script.removeFirst() }
        received.append(Received(body: body, delivery: delivery, contentType: contentType, status: reply.status))
        return reply
    }

    /// Serves on 127.0.0.1 at a free port for the duration of `body`, which gets the hook URL.
    func serve<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("hook") { [self] request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let reply = await self.next(body: String(buffer: buffer),
                                        delivery: HTTPField.Name("X-ShopRecon-Delivery").flatMap { request.headers[$0] },
                                        contentType: request.headers[.contentType])
            if reply.delay > 0 { try await Task.sleep(for: .milliseconds(Int(reply.delay * 1000))) }
            return Response(status: .init(code: reply.status), body: .init(byteBuffer: ByteBuffer(string: reply.status < 300 ? "ok" : "boom")))
        }
        var logger = Logger(label: "rules-tests.webhook")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            server.cancel()
            throw TestFailure("the webhook receiver did not start")
        }
        do {
            let value = try await body("http://127.0.0.1:\(port)/hook")
            server.cancel()
            _ = try? await server.value
            return value
        } catch {
            server.cancel()
            _ = try? await server.value
            throw error
        }
    }
}
