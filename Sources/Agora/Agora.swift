/// Agora's domain: the words and rules of multi-stakeholder forums and hearings, with no SQL
/// and no HTTP. Types here are plain values that the store persists and the API shows.
public enum AgoraDomain {}
