import Reconcile
import Testing

@Suite("periods and flows")
struct ReconPeriodTests {
    @Test("periods read the ways people write them and know their bounds")
    func parsing() throws {
        for text in ["2026-10", "2026/10", "202610", "2026-10-01"] {
            let period = try ReconPeriod(parsing: text)
            #expect(period.description == "2026-10")
            #expect(period.firstDay == "2026-10-01")
            #expect(period.endDay == "2026-11-01")
        }
        #expect(try ReconPeriod(parsing: "2026-12").endDay == "2027-01-01")
        #expect(try ReconPeriod(parsing: "2026-01").previous.description == "2025-12")
        for bad in ["2026-13", "26-10", "2026-10-15", "october", ""] {
            #expect(throws: ReconcileError.self) { try ReconPeriod(parsing: bad) }
        }
    }

    @Test("flows: all, lists and typos")
    func flows() throws {
        #expect(try ReconFlow.parseList("all") == ReconFlow.allCases)
        #expect(try ReconFlow.parseList("orders,returns") == [.orders, .returns])
        #expect(throws: ReconcileError.self) { try ReconFlow.parseList("order") }
    }
}
