/// What a merge did to one kind of record.
public struct MergeCounts: Sendable, Codable, Equatable {
    public var read: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int { max(0, read - inserted - updated) }

    public init(read: Int = 0, inserted: Int = 0, updated: Int = 0) {
        self.read = read
        self.inserted = inserted
        self.updated = updated
    }

    enum CodingKeys: String, CodingKey { case read, inserted, updated, unchanged }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(read, forKey: .read)
        try c.encode(inserted, forKey: .inserted)
        try c.encode(updated, forKey: .updated)
        try c.encode(unchanged, forKey: .unchanged)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        read = try c.decode(Int.self, forKey: .read)
        inserted = try c.decode(Int.self, forKey: .inserted)
        updated = try c.decode(Int.self, forKey: .updated)
    }
}
