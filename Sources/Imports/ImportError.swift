/// Why an import cannot go ahead, worded for the person at the terminal.
public enum ImportError: Error, Sendable, CustomStringConvertible {
    case needsStore(String)
    case unknownMapping(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .needsStore(let what): "\(what) belong to a store: pass --store CODE (`shoprecon store list` shows them)"
        case .unknownMapping(let name): "no column mapping \"\(name)\"; `shoprecon mapping list` shows them"
        case .unreadable(let message): message
        }
    }
}
