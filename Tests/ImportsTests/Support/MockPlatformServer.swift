import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ShopReconTestSupport

/// A platform API on loopback for the HTTP connector: `GET /orders?limit=N[&cursor=C]` answered
/// from a per-cursor script, every request logged.
actor MockPlatformAPI {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: String = ""

        /// A page of items (JSON objects, already encoded) as the API sends it.
        static func page(_ items: [String], next: String?, hasMore: Bool) -> Reply {
            let cursor = next.map { "\"\($0)\"" } ?? "null"
            return Reply(status: 200, headers: ["Content-Type": "application/json"],
                         body: "{\"items\":[\(items.joined(separator: ","))],\"next_cursor\":\(cursor),\"has_more\":\(hasMore)}")
        }
    }

    struct Seen: Sendable {
        var cursor: String?
        var limit: String?
        var authorization: String?
        var at: ContinuousClock.Instant
        var status: Int
        /// What ``observe`` reported when the request arrived (the cursor stored in the database).
        var observed: String?
    }

    /// Replies per cursor (`""` for the first page), served in order; the last one repeats.
    private var script: [String: [Reply]] = [:]
    private(set) var seen: [Seen] = []
    private var observe: (@Sendable () async -> String?)?

    func set(cursor: String?, _ replies: [Reply]) { script[cursor ?? ""] = replies }

    /// Runs at every request before it is answered; its result goes into ``Seen/observed``.
    func observe(_ body: @escaping @Sendable () async -> String?) { observe = body }

    func reply(cursor: String?, limit: String?, authorization: String?) async -> Reply {
        let at = ContinuousClock.now
        let observed = await observe?()
        let key = cursor ?? ""
        var queue = script[key] ?? []
        let reply = queue.first ?? Reply(status: 404, body: "{\"error\":\"unknown cursor \(key)\"}")
        if queue.count > 1 { queue.removeFirst() }
        script[key] = queue
        seen.append(Seen(cursor: cursor, limit: limit, authorization: authorization, at: at, status: reply.status, observed: observed))
        return reply
    }
}

enum MockPlatformServer {
    /// Serves `api` on 127.0.0.1 at a free port for the duration of `body`, which gets the base URL.
    static func with<T: Sendable>(_ api: MockPlatformAPI, _ body: (String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("orders") { request, _ -> Response in
            let query = request.uri.queryParameters
            let reply = await api.reply(cursor: query["cursor"].map(String.init), limit: query["limit"].map(String.init),
                                        authorization: request.headers[.authorization])
            var headers = HTTPFields()
            for (name, value) in reply.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        var logger = Logger(label: "imports-tests.mock-api")
        logger.logLevel = .critical  // cancelling the server at the end logs errors
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            server.cancel()
            throw TestFailure("the mock API did not start")
        }
        do {
            let value = try await body("http://127.0.0.1:\(port)/orders")
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
