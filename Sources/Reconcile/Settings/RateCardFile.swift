import Foundation
import Ingest

/// Reads a rate card CSV (UTF-8 or GBK), columns by header name.
public enum RateCardFile {
    public static func read(path: String) throws -> [RateCard] {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReconcileError(.notFound, "cannot read \(path)", hint: "check the path")
        }
        let decoded = DecodingByteSource(DataByteSource(data), fileName: url.lastPathComponent)
        var tokenizer = CSVTokenizer(source: decoded, fileName: url.lastPathComponent)
        var header: [String: Int] = [:]
        var cards: [RateCard] = []
        let names: [String: [String]] = [
            "courier": ["courier", "快递公司", "快递"], "zone": ["zone", "区域", "分区"],
            "first_weight_kg": ["first_weight_kg", "首重", "首重(kg)", "首重（kg）"],
            "first_fee": ["first_fee", "首重价格", "首重费用", "首重价格(元)", "首重价格（元）"],
            "extra_per_kg": ["extra_per_kg", "续重单价", "续重单价(元/kg)", "续重单价（元/kg）"],
            "currency": ["currency", "币种"],
        ]
        let fileName = url.lastPathComponent
        try tokenizer.forEachRow { row in
            if row.isBlank { return true }
            if header.isEmpty {
                for (index, field) in row.fields.enumerated() {
                    let name = field.trimmingCharacters(in: .whitespaces).lowercased()
                    if let key = names.first(where: { $0.value.contains(name) })?.key { header[key] = index }
                }
                for required in ["courier", "zone", "first_fee", "extra_per_kg"] where header[required] == nil {
                    throw ReconcileError(.invalidInput, "\(fileName), line \(row.line): no column \(required) in the header",
                                              hint: "the header needs courier, zone, first_fee and extra_per_kg (see `shoprecon ratecard --help`)")
                }
                return true
            }
            func value(_ key: String) -> String? {
                header[key].flatMap { $0 < row.fields.count ? row.fields[$0].trimmingCharacters(in: .whitespaces) : nil }
                    .flatMap { $0.isEmpty ? nil : $0 }
            }
            func money(_ key: String) throws -> Int64 {
                guard let text = value(key), let amount = AmountParser.parse(text), let minor = amount.rescaled(to: 2) else {
                    throw ReconcileError(.invalidInput, "\(fileName), line \(row.line), column \(key): '\(value(key) ?? "")' is not an amount",
                                              hint: "write amounts like 12.00")
                }
                return minor.units
            }
            var grams = 1000
            if let weight = value("first_weight_kg") {
                guard let kg = AmountParser.parse(weight), let g = kg.rescaled(to: 3), g.units > 0 else {
                    throw ReconcileError(.invalidInput, "\(fileName), line \(row.line), column first_weight_kg: '\(weight)' is not a weight in kg")
                }
                grams = Int(g.units)
            }
            guard let courier = value("courier"), let zone = value("zone") else {
                throw ReconcileError(.invalidInput, "\(fileName), line \(row.line): courier and zone must not be empty")
            }
            cards.append(RateCard(courier: courier, zone: zone, firstWeightGrams: grams, firstFee: try money("first_fee"),
                                  extraPerKg: try money("extra_per_kg"), currency: value("currency")?.uppercased() ?? "CNY"))
            return true
        }
        guard !cards.isEmpty else { throw ReconcileError(.invalidInput, "\(fileName) has no rate card rows") }
        return cards
    }
}
