/// A small SMTP client on SwiftNIO; see the files of this module.
public enum SMTP {}
