import DemoData
import Testing

@Suite("seeded generator")
struct SeededGeneratorTests {
    @Test("the same seed gives the same sequence, another seed another one")
    func deterministic() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        var d = SeededGenerator(seed: 7)
        let rolls = (0..<1000).map { _ in Int.random(in: 0..<10, using: &d) }
        #expect(Set(rolls).count == 10)
    }
}
