import Foundation
import Reconcile
import Testing

@Suite("rule conditions: parsing and compiling")
struct RulesParserTests {
    func parse(_ text: String, _ type: RecordType = .order) throws -> RuleCondition {
        try RuleCondition.parse(text, for: type)
    }

    func error(_ text: String, _ type: RecordType = .order) -> RuleConditionError? {
        do {
            let parsed = try parse(text, type)
            Issue.record("'\(text)' parsed as \(parsed)")
            return nil
        } catch let error as RuleConditionError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("and binds tighter than or, not tighter than and; parentheses override")
    func precedence() throws {
        #expect(try parse("amount > 10000 or channel = taobao and not status = cancelled") ==
            .or([.compare(field: "amount", op: .greater, value: .integer(1_000_000)),
                 .and([.compare(field: "channel", op: .equal, value: .text("taobao")),
                       .not(.compare(field: "status", op: .equal, value: .text("cancelled")))])]))
        #expect(try parse("(amount > 10000 or channel = taobao) and quantity >= 2") ==
            .and([.or([.compare(field: "amount", op: .greater, value: .integer(1_000_000)),
                       .compare(field: "channel", op: .equal, value: .text("taobao"))]),
                  .compare(field: "quantity", op: .greaterOrEqual, value: .integer(2))]))
        // Chains flatten; keywords in any case.
        #expect(try parse("age > 1 AND age < 9 And quantity = 2") ==
            .and([.compare(field: "age", op: .greater, value: .integer(1)), .compare(field: "age", op: .less, value: .integer(9)),
                  .compare(field: "quantity", op: .equal, value: .integer(2))]))
        #expect(try parse("not not (age > 3)") == .not(.not(.compare(field: "age", op: .greater, value: .integer(3)))))
    }

    @Test("amounts in major units become minor units; rates, percentages and weights convert")
    func values() throws {
        #expect(try parse("amount > 10000") == .compare(field: "amount", op: .greater, value: .integer(1_000_000)))
        #expect(try parse("amount >= 10,000.50") == .compare(field: "amount", op: .greaterOrEqual, value: .integer(1_000_050)))
        #expect(try parse("amount < 1,234,567.8") == .compare(field: "amount", op: .less, value: .integer(123_456_780)))
        #expect(try parse("amount != -3.25") == .compare(field: "amount", op: .notEqual, value: .integer(-325)))
        #expect(try parse("amount in (100, 234)") == .member(field: "amount", values: [.integer(10_000), .integer(23_400)], negated: false))
        #expect(try parse("fee_rate > 0.05") == .compare(field: "fee_rate", op: .greater, value: .decimal("0.05")))
        #expect(try parse("fee_rate > 5%") == .compare(field: "fee_rate", op: .greater, value: .decimal("0.05")))
        #expect(try parse("weight > 2.5", .courierLine) == .compare(field: "weight", op: .greater, value: .integer(2500)))
        #expect(try parse("received = no", .returnRecord) == .compare(field: "received", op: .equal, value: .bool(false)))
        #expect(try parse("currency = cny") == .compare(field: "currency", op: .equal, value: .text("CNY")))
        #expect(try parse("channel = TaoBao") == .compare(field: "channel", op: .equal, value: .text("taobao")))
        #expect(try parse("sku = \"A-100\" and age >= 30") ==
            .and([.compare(field: "sku", op: .equal, value: .text("A-100")), .compare(field: "age", op: .greaterOrEqual, value: .integer(30))]))
        #expect(try parse("sku = A-100") == .compare(field: "sku", op: .equal, value: .text("A-100")))
        #expect(try parse("store in (tmall, jd) ") == .member(field: "store", values: [.text("tmall"), .text("jd")], negated: false))
        #expect(try parse("store not in ('天猫 旗舰店', \"it's\")") ==
            .member(field: "store", values: [.text("天猫 旗舰店"), .text("it's")], negated: true))
        #expect(try parse("sku = 'it''s'") == .compare(field: "sku", op: .equal, value: .text("it's")))
        #expect(try parse("sku = 100A") == .compare(field: "sku", op: .equal, value: .text("100A")))
        #expect(try parse("counterparty = 支付宝", .bankLine) == .compare(field: "counterparty", op: .equal, value: .text("支付宝")))
    }

    @Test("errors name the column and what was expected; a wrong field lists the valid ones")
    func errors() throws {
        let typo = try #require(error("amount > 10 and chanel = taobao"))
        #expect(typo.position == 17)
        #expect(typo.message.contains("no field 'chanel'"))
        #expect(typo.hint?.contains("channel") == true && typo.hint?.contains("fee_rate") == true)
        #expect(typo.pointer.hasSuffix("\n                ^"))

        let missing = try #require(error("amount >"))
        #expect(missing.position == 9)
        #expect(missing.message.contains("end of the condition"))

        let unclosed = try #require(error("(amount > 1 or age > 2"))
        #expect(unclosed.position == 23)
        #expect(unclosed.message.contains("')'"))

        #expect(error("amount > 10.123")?.position == 10)                      // 3 decimals
        #expect(error("amount > 5%")?.message.contains("percentage") == true)
        #expect(error("channel > taobao")?.position == 9)                      // no ordering on text
        #expect(error("sku < A")?.position == 5)
        #expect(error("quantity > 1.5")?.message.contains("whole number") == true)
        #expect(error("amount > 1 amount")?.position == 12)
        #expect(error("amount = 'x")?.position == 10)
        #expect(error("")?.message.contains("empty") == true)
        #expect(error("amount & 3")?.position == 8)
        #expect(error("fee > 1", .payout)?.hint?.contains("provider") == true)
        #expect(error("received in (true)", .returnRecord) != nil)
    }

    @Test("the tree round-trips through JSON as stored in condition_ast")
    func json() throws {
        let tree = try parse("(amount > 10,000.50 or store not in (a, b)) and not fee_rate <= 3% and sku = 'X'")
        let data = try JSONEncoder().encode(tree)
        #expect(try JSONDecoder().decode(RuleCondition.self, from: data) == tree)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"op\":\"and\""))
        #expect(text.contains("1000050"))
    }

    @Test("compiled SQL carries every value as a parameter and only whitelisted columns")
    func compiledSQLHasNoValues() throws {
        let hostile = "sku = \"x'); DROP TABLE orders; --\" or store in ('a''b', \"$1\") or amount > 10000 or fee_rate > 0.05 or status != shipped"
        let tree = try parse(hostile)
        let compiled = try RuleCompiler.compile(tree, for: .order, firstParameter: 6)
        #expect(!compiled.sql.contains("DROP"))
        #expect(!compiled.sql.contains("'"))
        #expect(!compiled.sql.contains("1000000"))
        #expect(!compiled.sql.contains("0.05"))
        #expect(!compiled.sql.contains("shipped"))
        #expect(compiled.sql.contains("$6::text = ANY (src.f_sku)"))
        #expect(compiled.sql.contains("src.f_store = ANY ($7::text[])"))
        #expect(compiled.sql.contains("src.f_amount > $8::bigint"))
        #expect(compiled.sql.contains("src.f_fee_rate > $9::numeric"))
        #expect(compiled.sql.contains("src.f_status <> $10::text"))
        #expect(compiled.binds == [.text("x'); DROP TABLE orders; --"), .texts(["a'b", "$1"]), .integer(1_000_000),
                                   .decimal("0.05"), .text("shipped")])
        #expect(compiled.fields == ["sku", "store", "amount", "fee_rate", "status"])
        // Every `$n` in the text is a parameter the binds fill, numbered in order.
        let numbers = compiled.sql.split(separator: "$").dropFirst().map { Int($0.prefix(while: \.isNumber)) }
        #expect(numbers == [6, 7, 8, 9, 10])
    }

    @Test("a stored tree naming a field outside the whitelist is refused, not spliced")
    func tamperedTree() throws {
        let tampered = RuleCondition.compare(field: "amount) OR true OR (1", op: .equal, value: .integer(1))
        #expect(throws: ReconcileError.self) { try RuleCompiler.compile(tampered, for: .order, firstParameter: 1) }
        let wrongType = RuleCondition.compare(field: "amount", op: .equal, value: .text("1 OR 1=1"))
        #expect(throws: ReconcileError.self) { try RuleCompiler.compile(wrongType, for: .order, firstParameter: 1) }
    }
}
