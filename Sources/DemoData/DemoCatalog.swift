/// The demo merchant's goods, stores, couriers and rate card. Texts are plain GBK-encodable
/// Chinese without commas, so that they survive every file format unquoted.
enum DemoCatalog {
    struct Product {
        var sku: String
        var title: String
        /// Unit price in fen (a multiple of 10 fen: planted amounts use the last digit).
        var price: Int64
        /// Tmall commission (技术服务费) in basis points.
        var commissionBP: Int64
        var grams: Int
    }

    static let tmallProducts: [Product] = [
        Product(sku: "TM-1001", title: "纯棉T恤 白色", price: 5_990, commissionBP: 200, grams: 250),
        Product(sku: "TM-1002", title: "牛仔裤 直筒", price: 15_900, commissionBP: 300, grams: 700),
        Product(sku: "TM-1003", title: "羊毛围巾 灰色", price: 12_800, commissionBP: 300, grams: 300),
        Product(sku: "TM-1004", title: "陶瓷马克杯 350毫升", price: 3_900, commissionBP: 200, grams: 450),
        Product(sku: "TM-1005", title: "帆布双肩包", price: 19_900, commissionBP: 400, grams: 900),
        Product(sku: "TM-1006", title: "真丝枕套 一对", price: 26_800, commissionBP: 500, grams: 400),
        Product(sku: "TM-1007", title: "保温杯 不锈钢", price: 8_900, commissionBP: 200, grams: 550),
        Product(sku: "TM-1008", title: "羽绒服 轻薄款", price: 49_900, commissionBP: 500, grams: 1_200),
        Product(sku: "TM-1009", title: "运动袜 五双装", price: 2_990, commissionBP: 200, grams: 200),
        Product(sku: "TM-1010", title: "床上四件套 纯棉", price: 35_900, commissionBP: 400, grams: 2_600),
    ]

    static let miniappProducts: [Product] = [
        Product(sku: "MP-2001", title: "挂耳咖啡 十袋", price: 4_900, commissionBP: 0, grams: 150),
        Product(sku: "MP-2002", title: "手冲壶 细口", price: 16_800, commissionBP: 0, grams: 700),
        Product(sku: "MP-2003", title: "咖啡豆 耶加雪菲 250克", price: 8_800, commissionBP: 0, grams: 280),
        Product(sku: "MP-2004", title: "滤纸 一百张", price: 1_990, commissionBP: 0, grams: 120),
        Product(sku: "MP-2005", title: "磨豆机 手摇", price: 23_900, commissionBP: 0, grams: 900),
        Product(sku: "MP-2006", title: "冷萃咖啡液 六瓶", price: 9_900, commissionBP: 0, grams: 1_500),
    ]

    struct Zone {
        var name: String
        var firstFee: Int64
        var extraPerKg: Int64
        var cities: [String]
    }

    /// The courier name as the bill prints it (快递公司), the rate card's `courier`.
    static let courier = "顺丰速运"
    static let origin = "杭州"
    static let firstWeightGrams = 1000

    static let zones: [Zone] = [
        Zone(name: "同城", firstFee: 1_000, extraPerKg: 200, cities: ["杭州"]),
        Zone(name: "省内", firstFee: 1_200, extraPerKg: 300, cities: ["宁波", "温州", "绍兴", "嘉兴"]),
        Zone(name: "华东", firstFee: 1_400, extraPerKg: 400, cities: ["上海", "南京", "苏州", "合肥", "福州"]),
        Zone(name: "华北", firstFee: 1_800, extraPerKg: 600, cities: ["北京", "天津", "石家庄", "济南"]),
        Zone(name: "华南", firstFee: 1_800, extraPerKg: 600, cities: ["广州", "深圳", "厦门", "南宁"]),
        Zone(name: "偏远", firstFee: 2_500, extraPerKg: 1_200, cities: ["乌鲁木齐", "拉萨", "西宁"]),
    ]

    /// The rate-card price: first weight, then every started kilogram.
    static func price(_ zone: Zone, grams: Int) -> Int64 {
        let extra = max(0, grams - firstWeightGrams)
        return zone.firstFee + Int64((extra + 999) / 1000) * zone.extraPerKg
    }

    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"]
    static let provinces = ["浙江省 杭州市 西湖区", "上海市 浦东新区", "北京市 朝阳区", "广东省 深圳市 南山区", "江苏省 南京市 鼓楼区",
                            "四川省 成都市 武侯区", "湖北省 武汉市 洪山区", "福建省 厦门市 思明区"]
    static let companies = ["杭州云帆贸易有限公司", "上海启明电子商务有限公司", "宁波海曙百货商行", "苏州恒信供应链管理有限公司"]
}
