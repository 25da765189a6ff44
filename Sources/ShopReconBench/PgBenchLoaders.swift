import PostgresClient

// The timed loading paths of `shoprecon-bench pg`. Each runs on the connection's own thread
// (`isolated PostgresConnection`), exactly as application code holding a connection would.

/// `COPY ... FROM STDIN (FORMAT binary)` with ``PostgresBinaryCopyEncoder``, handing the writer a
/// chunk whenever `chunkBytes` are encoded.
func copyBinary(_ connection: isolated PostgresConnection, table: String, rows: [PgBenchRow],
                chunkBytes: Int) throws -> Int {
    try connection.copyIn("COPY \(table) (\(PgBenchTable.columns)) FROM STDIN (FORMAT binary)") { writer in
        var encoder = PostgresBinaryCopyEncoder()
        for row in rows {
            encoder.beginRow(fieldCount: PgBenchTable.columnCount)
            encoder.append(row.id)
            encoder.append(row.orderNo)
            encoder.append(row.storeID)
            encoder.append(row.buyer)
            encoder.append(row.amountFen)
            encoder.append(row.currency)
            encoder.appendTimestamp(unixMicroseconds: row.createdAtMicros)
            if let note = row.note { encoder.append(note) } else { encoder.appendNull() }
            if encoder.bytes.count >= chunkBytes { try writer.write(encoder.take()) }
        }
        encoder.finish()
        try writer.write(encoder.take())
    }
}

/// `COPY ... FROM STDIN` in the default text format, strings escaped by
/// ``PostgresTextCopyEncoder``, numbers and timestamps written as digits.
func copyText(_ connection: isolated PostgresConnection, table: String, rows: [PgBenchRow],
              chunkBytes: Int) throws -> Int {
    try connection.copyIn("COPY \(table) (\(PgBenchTable.columns)) FROM STDIN") { writer in
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkBytes + 4096)
        for row in rows {
            ByteFormat.appendInteger(row.id, to: &buffer)
            buffer.append(ByteFormat.tab)
            PostgresTextCopyEncoder.appendField(row.orderNo, to: &buffer)
            buffer.append(ByteFormat.tab)
            ByteFormat.appendInteger(row.storeID, to: &buffer)
            buffer.append(ByteFormat.tab)
            PostgresTextCopyEncoder.appendField(row.buyer, to: &buffer)
            buffer.append(ByteFormat.tab)
            ByteFormat.appendInteger(row.amountFen, to: &buffer)
            buffer.append(ByteFormat.tab)
            PostgresTextCopyEncoder.appendField(row.currency, to: &buffer)
            buffer.append(ByteFormat.tab)
            ByteFormat.appendTimestamp(unixMicroseconds: row.createdAtMicros, to: &buffer)
            buffer.append(ByteFormat.tab)
            PostgresTextCopyEncoder.appendField(row.note, to: &buffer)
            buffer.append(ByteFormat.newline)
            if buffer.count >= chunkBytes {
                try writer.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try writer.write(buffer)
    }
}

/// `INSERT ... SELECT * FROM unnest($1::bigint[], ..., $8::text[])`: `batchRows` rows per
/// statement, one array parameter per column; a single prepared statement serves every batch.
func insertUnnest(_ connection: isolated PostgresConnection, table: String, rows: [PgBenchRow],
                  batchRows: Int) throws -> Int {
    let sql = """
        INSERT INTO \(table) (\(PgBenchTable.columns))
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[], $5::bigint[], $6::text[],
                             $7::timestamptz[], $8::text[])
        """
    var inserted = 0
    var columns = [[UInt8]](repeating: [], count: PgBenchTable.columnCount)
    var start = 0
    while start < rows.count {
        let end = min(start + batchRows, rows.count)
        for c in columns.indices {
            columns[c].removeAll(keepingCapacity: true)
            columns[c].append(UInt8(ascii: "{"))
        }
        for index in start..<end {
            let row = rows[index]
            if index > start {
                for c in columns.indices { columns[c].append(ByteFormat.comma) }
            }
            ByteFormat.appendInteger(row.id, to: &columns[0])
            ByteFormat.appendArrayElement(row.orderNo, to: &columns[1])
            ByteFormat.appendInteger(row.storeID, to: &columns[2])
            ByteFormat.appendArrayElement(row.buyer, to: &columns[3])
            ByteFormat.appendInteger(row.amountFen, to: &columns[4])
            ByteFormat.appendArrayElement(row.currency, to: &columns[5])
            columns[6].append(ByteFormat.quote)
            ByteFormat.appendTimestamp(unixMicroseconds: row.createdAtMicros, to: &columns[6])
            columns[6].append(ByteFormat.quote)
            ByteFormat.appendArrayElement(row.note, to: &columns[7])
        }
        for c in columns.indices { columns[c].append(UInt8(ascii: "}")) }
        let result = try connection.preparedQuery(sql, columns.map { ArrayLiteral(bytes: $0) })
        inserted += result.affectedRows
        start = end
    }
    return inserted
}

/// `INSERT ... VALUES ($1, ..., $8), (...), ...`: `batchRows` rows per statement with one
/// parameter per field, prepared once per distinct batch size.
func insertValues(_ connection: isolated PostgresConnection, table: String, rows: [PgBenchRow],
                  batchRows: Int) throws -> Int {
    func sql(rowCount: Int) -> String {
        var text = "INSERT INTO \(table) (\(PgBenchTable.columns)) VALUES "
        var parameter = 1
        for n in 0..<rowCount {
            if n > 0 { text += "," }
            text += "("
            for c in 0..<PgBenchTable.columnCount {
                if c > 0 { text += "," }
                text += "$\(parameter)"
                parameter += 1
            }
            text += ")"
        }
        return text
    }
    var statements: [Int: String] = [:]
    var inserted = 0
    var binds: [any PostgresEncodable] = []
    binds.reserveCapacity(batchRows * PgBenchTable.columnCount)
    var start = 0
    while start < rows.count {
        let end = min(start + batchRows, rows.count)
        binds.removeAll(keepingCapacity: true)
        for row in rows[start..<end] {
            binds.append(row.id)
            binds.append(row.orderNo)
            binds.append(row.storeID)
            binds.append(row.buyer)
            binds.append(row.amountFen)
            binds.append(row.currency)
            binds.append(TimestampMicros(unixMicroseconds: row.createdAtMicros))
            binds.append(row.note)
        }
        let count = end - start
        let statement: String
        if let cached = statements[count] {
            statement = cached
        } else {
            statement = sql(rowCount: count)
            statements[count] = statement
        }
        inserted += try connection.preparedQuery(statement, binds).affectedRows
        start = end
    }
    return inserted
}

/// A parameter sent as an already-built array literal (`{1,2,3}`, `{"a",NULL}`); the statement
/// casts it (`$1::bigint[]`), so its type goes out as unknown.
struct ArrayLiteral: PostgresEncodable {
    var bytes: [UInt8]
    static var postgresType: PostgresDataType { .unknown }
    var postgresBind: PostgresBind { PostgresBind(.text(bytes), type: .unknown) }
}

/// A `timestamptz` parameter given as Unix microseconds, sent as UTC text.
struct TimestampMicros: PostgresEncodable {
    var unixMicroseconds: Int64
    static var postgresType: PostgresDataType { .timestamptz }
    var postgresBind: PostgresBind {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        ByteFormat.appendTimestamp(unixMicroseconds: unixMicroseconds, to: &bytes)
        return PostgresBind(.text(bytes), type: .timestamptz)
    }
}
