import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Ingest
import Logging
import PostgresClient
import Tenancy

/// Pages through a platform API by cursor and loads each page like an import, saving the next
/// cursor in the same transaction as the page's records: after a crash the sync resumes at the
/// first page that did not commit, and a page loaded twice changes nothing.
///
/// The API: `GET URL?limit=N[&cursor=C]` with `Authorization: Bearer TOKEN`, answering
/// `{"items": [...], "next_cursor": "…", "has_more": true}`. Items use the field names of a
/// column mapping of the resource's kind (`order_number`, `paid_amount`, `created_at`, … or
/// `transaction_id`, `type`, `gross`, `fee`, `net`, …); amounts in major units, times in ISO 8601.
/// 429 and 503 are retried after `Retry-After` (seconds or an HTTP date), other failures with
/// exponential backoff, up to `maxRetries` times.
public struct HTTPConnector: Sendable {
    public let store: String
    public let config: StoreConnector.HTTP
    let environment: [String: String]
    let session: URLSession
    /// Seconds slept per retry are capped here (tests use a small cap).
    let maxDelay: Double

    public init(store: String, config: StoreConnector.HTTP, environment: [String: String] = ProcessInfo.processInfo.environment,
                maxDelay: Double = 300) {
        self.store = store
        self.config = config
        self.environment = environment
        self.session = URLSession(configuration: .ephemeral)
        self.maxDelay = maxDelay
    }

    struct Page: Decodable {
        var items: [[String: JSONScalar]]
        var next_cursor: String?
        var has_more: Bool?
    }

    public struct Outcome: Sendable, Equatable {
        public var pages = 0
        public var items = 0
        public var cursor: String?
    }

    public func run(pool: ConnectionPool, context: AccessContext, startCursor: String?, logger: Logger) async throws -> Outcome {
        var outcome = Outcome(cursor: startCursor)
        while true {
            let (page, body) = try await fetch(cursor: outcome.cursor, logger: logger)
            let next = page.next_cursor
            if !page.items.isEmpty {
                let (csv, name) = (Self.csv(page.items), "\(store)-\(config.resource)-page-\(outcome.pages + 1).json")
                let mapping = Self.mapping(for: config.resource, keys: Self.keys(page.items))
                let digest = FileDigest.sha256(of: body)
                let (store, resource) = (self.store, config.resource)
                _ = try await pool.withConnection { connection in
                    try await TenantScope(connection: connection).with(context) { tx, context in
                        let request = ImportRequest(file: URL(fileURLWithPath: name), format: .mapped, storeCode: store)
                        let summary = try await Importer.load(name: name, request: request, context: context, on: tx) { options, onRecord, onReject in
                            var options = options
                            options.mapping = mapping
                            var report = try Ingest.parse(.data(csv, name: name), format: .mapped, options: options,
                                                          onRecord: onRecord, onReject: onReject)
                            report.sha256 = digest
                            return report
                        }
                        try ConnectorDirectory.record(store: store, kind: .http, cursor: next, error: nil, context: context, on: tx)
                        _ = resource
                        return summary
                    }
                }
            } else if let next {
                let store = self.store
                try await pool.withConnection { connection in
                    try await TenantScope(connection: connection).with(context) { tx, context in
                        try ConnectorDirectory.record(store: store, kind: .http, cursor: next, error: nil, context: context, on: tx)
                    }
                }
            }
            outcome.pages += 1
            outcome.items += page.items.count
            if let next { outcome.cursor = next }
            guard page.has_more == true, next != nil else { return outcome }
        }
    }

    /// One page, with retries for rate limits and transient failures.
    func fetch(cursor: String?, logger: Logger) async throws -> (Page, Data) {
        guard var components = URLComponents(string: config.url) else { throw ImportError.unreadable("bad URL \(config.url)") }
        var query = components.queryItems ?? []
        query.append(URLQueryItem(name: "limit", value: String(config.pageSize)))
        if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
        components.queryItems = query
        guard let url = components.url else { throw ImportError.unreadable("bad URL \(config.url)") }
        var request = URLRequest(url: url)
        request.timeoutInterval = 60
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let variable = config.tokenEnv {
            guard let token = environment[variable], !token.isEmpty else {
                throw ImportError.unreadable("the environment variable \(variable) with the API token is not set for the daemon")
            }
            request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization")
        }
        var attempt = 0
        while true {
            attempt += 1
            var retryAfter: Double?
            var failure: String
            do {
                let (data, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                switch status {
                case 200..<300:
                    do {
                        return (try JSONDecoder().decode(Page.self, from: data), data)
                    } catch {
                        throw ImportError.unreadable("\(url.host ?? "the API") answered with JSON that is not a page: \(error)")
                    }
                case 429, 503:
                    retryAfter = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After").flatMap(Self.retryAfterSeconds)
                    failure = "HTTP \(status)"
                case 500...599:
                    failure = "HTTP \(status)"
                default:
                    throw ImportError.unreadable("\(url.absoluteString) answered HTTP \(status): \(String(decoding: data.prefix(300), as: UTF8.self))")
                }
            } catch let error as ImportError {
                throw error
            } catch {
                failure = "\(error.localizedDescription)"
            }
            guard attempt <= config.maxRetries else {
                throw ImportError.unreadable("\(url.absoluteString) still failing after \(attempt) attempts: \(failure)")
            }
            let backoff = min(maxDelay, 0.5 * Double(1 << min(attempt - 1, 10)) * Double.random(in: 0.5...1))
            let delay = min(maxDelay, retryAfter ?? backoff)
            logger.warning("API request failed; retrying", metadata: ["error": "\(failure)", "in": "\(delay)s", "attempt": "\(attempt)"])
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        }
    }

    static func retryAfterSeconds(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    static func keys(_ items: [[String: JSONScalar]]) -> [String] {
        var seen = Set<String>()
        var keys: [String] = []
        for item in items { for key in item.keys.sorted() where seen.insert(key).inserted { keys.append(key) } }
        return keys
    }

    /// The page as CSV (every field quoted), so API items go through the same parsing and
    /// validation as files.
    static func csv(_ items: [[String: JSONScalar]]) -> Data {
        let keys = keys(items)
        func quote(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var out = keys.map(quote).joined(separator: ",") + "\n"
        for item in items {
            out += keys.map { quote(item[$0]?.text ?? "") }.joined(separator: ",") + "\n"
        }
        return Data(out.utf8)
    }

    static func mapping(for resource: String, keys: [String]) -> ColumnMapping {
        let kind: ColumnMapping.RecordKind = resource == "orders" ? .order : .transaction
        let (required, optional) = ColumnMapping.fieldNames(for: kind)
        let known = Set(required + optional)
        var fields: [String: [String]] = [:]
        for key in keys where known.contains(key) { fields[key] = [key] }
        return ColumnMapping(name: "api-" + resource, kind: kind, fields: fields)
    }
}

/// A JSON value as it appears in an API item: scalars only (nested values are kept as JSON text).
enum JSONScalar: Decodable, Sendable {
    case text(String)
    case null

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .text(bool ? "true" : "false") }
        else if let int = try? container.decode(Int64.self) { self = .text(String(int)) }
        else if let string = try? container.decode(String.self) { self = .text(string) }
        else if let double = try? container.decode(Decimal.self) { self = .text("\(double)") }
        else { self = .text("") }
    }
}
